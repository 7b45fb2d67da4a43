package output

import "fmt"

// newRegistryWriter returns a writer that pushes to docker://REF.
func newRegistryWriter(dest string, opts Options) (Writer, error) {
	return nil, fmt.Errorf("%s: registry outputs are not supported yet: %w", dest, ErrUsage)
}
