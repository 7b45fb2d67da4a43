package resolve

import (
	"context"
	"errors"
	"fmt"
)

// RegistryOptions configures registry access (credentials, TLS, cache).
type RegistryOptions struct{}

// errRegistryUnsupported is returned until registry access is implemented.
var errRegistryUnsupported = errors.New("registry bases are not supported yet")

// openRegistry resolves a registry reference.
func openRegistry(ctx context.Context, ref string, opts Options) (*Base, error) {
	return nil, fmt.Errorf("base %q: %w", ref, errRegistryUnsupported)
}
