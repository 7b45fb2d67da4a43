package cache

import (
	"fmt"
	"os"
	"path/filepath"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/imageio"
)

// Writer is a temp file in the cache that becomes the blob on Commit. It is
// an imageio.Sink: tee a verifying reader into it, and the blob is kept
// only once verified.
type Writer struct {
	f   *os.File
	dst string
}

var _ imageio.Sink = (*Writer)(nil)

// Writer starts writing desc into the cache (a nil cache has no writer).
// Commit the writer after the content has been verified; Discard drops it.
func (c *Cache) Writer(desc ocispec.Descriptor) (*Writer, error) {
	if c == nil {
		return nil, fmt.Errorf("cache: no cache directory")
	}
	if err := imageio.CheckDescriptor(desc); err != nil {
		return nil, err
	}
	dst := c.BlobPath(desc.Digest)
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	f, err := os.CreateTemp(dir, ".tmp-"+desc.Digest.Encoded()[:12]+"-*")
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	return &Writer{f: f, dst: dst}, nil
}

// Write writes to the temp file.
func (w *Writer) Write(p []byte) (int, error) { return w.f.Write(p) }

// Commit closes the temp file and renames it into place, read-only.
func (w *Writer) Commit() error {
	if err := w.f.Close(); err != nil {
		_ = os.Remove(w.f.Name())
		return fmt.Errorf("cache: %w", err)
	}
	if err := os.Chmod(w.f.Name(), 0o444); err != nil {
		_ = os.Remove(w.f.Name())
		return fmt.Errorf("cache: %w", err)
	}
	if err := os.Rename(w.f.Name(), w.dst); err != nil {
		_ = os.Remove(w.f.Name())
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

// Discard closes and removes the temp file.
func (w *Writer) Discard() {
	_ = w.f.Close()
	_ = os.Remove(w.f.Name())
}
