package resolve

import (
	"context"
	"io"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// RegistryBlobs is the BlobSource of a registry base. Blobs are fetched
// lazily, only when opened, verified against digest and size, and kept in
// the blob cache (when one is configured) so each is downloaded once.
type RegistryBlobs struct {
	rem *remote
}

var (
	_ BlobSource = (*RegistryBlobs)(nil)
	_ Pather     = (*RegistryBlobs)(nil)
)

// blobs returns the remote's blob source.
func (rem *remote) blobs() *RegistryBlobs {
	return &RegistryBlobs{rem: rem}
}

// Reference returns the base's reference; its Domain and Path tell a pusher
// on the same registry which repository it can mount blobs from.
func (b *RegistryBlobs) Reference() Reference { return b.rem.ref }

// Open returns the blob's content from the cache, or streams it from the
// registry while writing it to the cache (committed only once verified).
func (b *RegistryBlobs) Open(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	if err := checkDescriptor(desc); err != nil {
		return nil, err
	}
	if b.rem.cache.has(desc) {
		return b.rem.cache.open(desc)
	}
	rc, err := b.rem.open(ctx, desc)
	if err != nil {
		return nil, err
	}
	r := newDigestReader(rc, desc)
	if b.rem.cache != nil {
		if w, err := b.rem.cache.writer(desc); err == nil {
			r.sink = w
		}
	}
	return b.withProgress(r, desc), nil
}

// Path returns the blob's cache file when it is cached, else "".
func (b *RegistryBlobs) Path(desc ocispec.Descriptor) string {
	if !b.rem.cache.has(desc) {
		return ""
	}
	return b.rem.cache.path(desc.Digest)
}

// withProgress reports the download of r to the progress callback.
func (b *RegistryBlobs) withProgress(r *digestReader, desc ocispec.Descriptor) io.ReadCloser {
	if b.rem.progress == nil || IsIndex(desc.MediaType) || IsManifest(desc.MediaType) || isImageConfig(desc.MediaType) {
		return r
	}
	add, done := b.rem.progress("pull "+shortDigest(desc.Digest), desc.Size)
	r.progress = add
	return &doneCloser{ReadCloser: r, done: done}
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
