package resolve

import (
	"context"
	"fmt"

	"github.com/ybuild/ybuild/location"
	"github.com/ybuild/ybuild/registry"
)

func init() {
	register(location.Registry, func(ctx context.Context, loc location.Location, opts Options) (*Base, error) {
		return openRegistry(ctx, loc.Ref, opts)
	})
}

// openRegistry resolves a registry reference: the manifest or index (by
// digest when pinned), the selected platforms' manifests and configs, each
// verified and cached. Layers are not fetched: Base.Blobs reads them
// lazily, through the cache.
func openRegistry(ctx context.Context, ref string, opts Options) (*Base, error) {
	r, err := registry.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("base %q: %w: %w", ref, ErrInvalidBase, err)
	}
	rem, err := newRemote(ctx, r, opts)
	if err != nil {
		return nil, err
	}
	top, err := rem.resolve(ctx)
	if err != nil {
		return nil, err
	}
	b, err := newBase(ctx, baseName(r), top, rem.blobs(), opts)
	if err != nil {
		return nil, fmt.Errorf("base %s: %w", r, err)
	}
	return b, nil
}

// baseName is the base.name annotation: name:tag, or name@digest when the
// reference has no tag.
func baseName(r registry.Reference) string {
	if r.Tag != "" {
		r.Digest = ""
	}
	return r.String()
}
