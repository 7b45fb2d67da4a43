package resolve

import (
	"context"
	"io"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/cache"
	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/internal/trust"
	"github.com/ybuild/ybuild/registry"
)

// registryBlobs is the BlobSource of a registry base. Blobs are fetched
// lazily, only when opened, verified against digest and size, and kept in
// the cache (when one is configured) so each is downloaded once.
type registryBlobs struct {
	rem *remote
}

var (
	_ BlobSource      = (*registryBlobs)(nil)
	_ Pather          = (*registryBlobs)(nil)
	_ registry.Origin = (*registryBlobs)(nil)
)

// blobs returns the remote's blob source.
func (rem *remote) blobs() *registryBlobs {
	return &registryBlobs{rem: rem}
}

// Origin returns the base's repository: every blob of the base is read
// from there, so a pusher on the same registry can mount it.
func (b *registryBlobs) Origin(ocispec.Descriptor) (registry.Reference, bool) {
	return b.rem.ref, true
}

// Open returns the blob's content from the cache, or streams it from the
// registry while writing it to the cache (committed only once verified).
// A blob being prefetched is read from the cache once its download ends.
func (b *registryBlobs) Open(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	if err := imageio.CheckDescriptor(desc); err != nil {
		return nil, err
	}
	if err := b.rem.flights.wait(ctx, desc.Digest); err != nil {
		return nil, err
	}
	return b.fetch(ctx, desc)
}

// fetch is Open without waiting for a prefetch.
func (b *registryBlobs) fetch(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	if b.rem.cache.Has(desc) {
		return b.rem.cache.Open(desc)
	}
	rc, err := b.rem.open(ctx, desc)
	if err != nil {
		return nil, err
	}
	r := imageio.NewReader(rc, desc)
	if b.rem.cache != nil {
		if w, err := b.rem.cache.Writer(desc); err == nil {
			r.Tee(notingSink{Writer: w, trust: b.rem.trust, path: b.rem.cache.BlobPath(desc.Digest), desc: desc})
		}
	}
	return b.withProgress(r, desc), nil
}

// Path returns the blob's cache file when it is cached, else "".
func (b *registryBlobs) Path(desc ocispec.Descriptor) string {
	if !b.rem.cache.Has(desc) {
		return ""
	}
	return b.rem.cache.BlobPath(desc.Digest)
}

// withProgress reports the download of r to the progress callback.
func (b *registryBlobs) withProgress(r *imageio.Reader, desc ocispec.Descriptor) io.ReadCloser {
	if b.rem.progress == nil || imageio.IsIndex(desc.MediaType) || imageio.IsManifest(desc.MediaType) || imageio.IsImageConfig(desc.MediaType) {
		return r
	}
	add, done := b.rem.progress("pull "+shortDigest(desc.Digest), desc.Size)
	r.OnRead(add)
	return &doneCloser{ReadCloser: r, done: func() { done(desc.Size) }}
}

// doneCloser calls done once when closed.
type doneCloser struct {
	io.ReadCloser
	done func()
	once sync.Once
}

// Close closes the reader and reports the end of the transfer.
func (d *doneCloser) Close() error {
	err := d.ReadCloser.Close()
	d.once.Do(d.done)
	return err
}

// shortDigest returns the first 12 hex digits of d.
func shortDigest(d digest.Digest) string {
	e := d.Encoded()
	if len(e) > 12 {
		e = e[:12]
	}
	return e
}

// notingSink is a cache writer that, once the verified blob is committed,
// tells the trust records: an output linking the cached file then need
// not hash it again.
type notingSink struct {
	*cache.Writer
	trust *trust.Store
	path  string
	desc  ocispec.Descriptor
}

// Commit commits the blob and notes it.
func (s notingSink) Commit() error {
	if err := s.Writer.Commit(); err != nil {
		return err
	}
	s.trust.Note(s.path, s.desc)
	return nil
}
