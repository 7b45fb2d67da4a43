package resolve

import (
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/trust"
	"github.com/ybuild/ybuild/registry"
)

// Options are the choices for opening a base.
type Options struct {
	// Dir is the directory that relative paths in the reference are relative to.
	Dir string
	// Platforms selects platforms of an index base; nil selects the default
	// (linux/amd64), or the only platform of a single-manifest base.
	Platforms []ocispec.Platform
	// AllPlatforms selects every platform of an index base.
	AllPlatforms bool
	// Registry holds the registry access options; nil uses the defaults.
	Registry *registry.Options
	// CacheDir is the cache directory (see package cache) that registry
	// bases keep their manifests, configs and layers in; "" disables it.
	CacheDir string
	// Progress, if set, reports blob downloads.
	Progress Progress
	// Trust, if set, is told of every blob downloaded into the cache, so
	// that outputs linking it need not hash it again (internal/trust).
	Trust *trust.Store
}
