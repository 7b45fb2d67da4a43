package output

import "github.com/ybuild/ybuild/location"

// NewRegistryWriter exposes newRegistryWriter to the registry tests, which
// must not depend on Parse's other destinations.
func NewRegistryWriter(dest string, opts Options) (Writer, error) {
	loc, err := location.Parse(dest, location.Output)
	if err != nil {
		return nil, err
	}
	return newRegistryWriter(dest, loc, opts)
}
