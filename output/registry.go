package output

import (
	"context"
	"fmt"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/location"
	"github.com/ybuild/ybuild/registry"
)

// registryWriter pushes an image to docker://REF.
type registryWriter struct {
	dest    string
	ref     registry.Reference
	opts    Options
	streams *streams // layers sent while written (Uploader)
}

var _ Writer = (*registryWriter)(nil)

func init() { register(location.Registry, newRegistryWriter) }

// Holds reports that a registry is not a local path and holds any number
// of platforms.
func (w *registryWriter) Holds() Holds { return Holds{Dest: w.dest, Name: "a registry"} }

// newRegistryWriter returns a writer that pushes to docker://REF. REF is
// normalised like a base reference (alpine → docker.io/library/alpine:latest).
// With opts.Registry.Offline it fails: a push cannot be done from the cache.
func newRegistryWriter(dest string, loc location.Location, opts Options) (Writer, error) {
	if opts.Registry != nil && opts.Registry.Offline {
		return nil, fmt.Errorf("%s: %w: --offline never contacts a registry, so it cannot push: drop --offline or write oci:, oci-archive: or docker-archive:", dest, ErrUsage)
	}
	ref, err := registry.ParseReference(loc.Ref)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", dest, ErrUsage, err)
	}
	return &registryWriter{dest: dest, ref: ref, opts: opts, streams: newStreams(ref, opts.Registry)}, nil
}

// Write pushes img: blobs the registry has are skipped, base blobs from
// the same registry are mounted, layers and configs upload concurrently,
// then the manifests by digest and the top-level one by tag. It returns
// Ref = REF@DIGEST.
func (w *registryWriter) Write(ctx context.Context, img *assemble.Image) (Result, error) {
	if w.ref.Digest != "" && w.ref.Digest != img.Desc.Digest {
		return Result{}, fmt.Errorf("%s: the destination pins %s but the image is %s: %w", w.dest, w.ref.Digest, img.Desc.Digest, ErrUsage)
	}
	target := w.ref.WithDigest(img.Desc.Digest)
	if w.opts.Registry != nil && w.opts.Registry.Offline {
		return Result{}, fmt.Errorf("%s: %s: pushing needs the network: %w", w.dest, target, registry.ErrOffline)
	}
	sess, err := registry.NewSession(ctx, w.opts.Registry, target)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", w.dest, err)
	}
	p, err := newPush(ctx, sess, img, w.opts)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", w.dest, err)
	}
	p.streams = w.streams
	if err := p.run(ctx); err != nil {
		return Result{}, fmt.Errorf("%s: %w", w.dest, err)
	}
	return Result{Dest: w.dest, Ref: target.String(), Digest: img.Desc.Digest}, nil
}

// PushesOnlyTo reports whether writers are pushes to the registry domain
// only: none of them needs a layer blob that is in a repository there in a
// local file, since the push mounts it.
func PushesOnlyTo(writers []Writer, domain string) bool {
	for _, w := range writers {
		if rw, ok := w.(*registryWriter); !ok || rw.ref.Domain != domain {
			return false
		}
	}
	return len(writers) > 0
}
