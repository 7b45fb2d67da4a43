package cache

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/internal/blobfile"
)

// Cache is a cache directory. A nil *Cache is no cache: lookups miss and
// stores do nothing.
type Cache struct {
	dir string
}

// New returns the cache at dir, or nil when dir is "".
func New(dir string) *Cache {
	if dir == "" {
		return nil
	}
	return &Cache{dir: dir}
}

// Dir returns the cache directory ("" for no cache).
func (c *Cache) Dir() string {
	if c == nil {
		return ""
	}
	return c.dir
}

// BlobPath returns the file of the blob with digest d:
// DIR/blobs/<alg>/<hex>. A malformed digest has a path that never exists.
func (c *Cache) BlobPath(d digest.Digest) string {
	p, err := imageio.BlobPath(d)
	if err != nil {
		return filepath.Join(c.dir, "blobs", "malformed-digest")
	}
	return filepath.Join(c.dir, filepath.FromSlash(p))
}

// Has reports whether the cache holds desc (by digest and size, not
// verified: Open verifies while reading).
func (c *Cache) Has(desc ocispec.Descriptor) bool {
	if c == nil || desc.Digest.Validate() != nil {
		return false
	}
	fi, err := os.Stat(c.BlobPath(desc.Digest))
	return err == nil && fi.Mode().IsRegular() && fi.Size() == desc.Size
}

// Verified returns the file of the cached blob desc when its content is
// exactly desc's (size and digest, read in full). It stops when ctx is done.
func (c *Cache) Verified(ctx context.Context, desc ocispec.Descriptor) (string, bool) {
	if c == nil || desc.Digest.Validate() != nil {
		return "", false
	}
	p := c.BlobPath(desc.Digest)
	return p, blobfile.Verify(ctx, p, desc)
}

// Open opens the cached blob; the reader verifies it again while reading.
func (c *Cache) Open(desc ocispec.Descriptor) (io.ReadCloser, error) {
	if err := imageio.CheckDescriptor(desc); err != nil {
		return nil, err
	}
	f, err := os.Open(c.BlobPath(desc.Digest))
	if err != nil {
		return nil, err
	}
	return imageio.Verify(f, desc)
}

// ReadAll returns the content of a small cached blob, verified.
func (c *Cache) ReadAll(desc ocispec.Descriptor) ([]byte, error) {
	rc, err := c.Open(desc)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// Link puts the file src, which holds desc's content, into the cache: a
// hard link, or across file systems a copy unless the cache already holds
// a good one. It stops when ctx is done.
func (c *Cache) Link(ctx context.Context, desc ocispec.Descriptor, src string) error {
	if c == nil {
		return nil
	}
	if err := imageio.CheckDescriptor(desc); err != nil {
		return err
	}
	p := c.BlobPath(desc.Digest)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if err := blobfile.LinkReplace(src, p); err == nil {
		return nil
	}
	// Another file system (a cache in $HOME, outputs on a volume).
	if blobfile.Verify(ctx, p, desc) {
		return nil
	}
	return copyReplace(ctx, src, p)
}

// copyReplace copies src to path through a temporary file renamed into place.
func copyReplace(ctx context.Context, src, path string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return blobfile.WriteAtomic(path, 0o644, false, func(f *os.File) error {
		_, err := io.Copy(f, imageio.WithContext(ctx, in))
		return err
	})
}
