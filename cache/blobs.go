package cache

import (
	"fmt"
	"os"
	"path/filepath"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/internal/filelock"
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
	f, err := filelock.CreateTemp(dir, ".tmp-"+desc.Digest.Encoded()[:12]+"-*")
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	return &Writer{f: f, dst: dst}, nil
}

// Write writes to the temp file.
func (w *Writer) Write(p []byte) (int, error) { return w.f.Write(p) }

// Commit renames the temp file into place, read-only, and closes it; it
// stays locked (see filelock.CreateTemp) until it has its final name, so
// that Sweep never takes a live build's partial blob for a dead one's.
func (w *Writer) Commit() error {
	err := w.f.Chmod(0o444)
	if err == nil {
		err = os.Rename(w.f.Name(), w.dst)
	}
	if err != nil {
		_ = os.Remove(w.f.Name())
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

// Discard closes and removes the temp file.
func (w *Writer) Discard() {
	_ = w.f.Close()
	_ = os.Remove(w.f.Name())
}
