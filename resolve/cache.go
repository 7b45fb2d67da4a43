package resolve

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/blobfile"
)

// blobCache is a content-addressed store of verified blobs (layers, configs
// and manifests) under DIR/blobs/<alg>/<hex>, plus DIR/refs/ which maps a
// reference to the descriptor it last resolved to (for offline builds).
//
// Concurrent builds may share it: a blob is written to a temp file in the
// same directory, verified, then renamed into place, so a reader never sees
// a partial blob and an interrupted download leaves at most a temp file
// (named .tmp-*, removed on failure).
type blobCache struct {
	dir string
}

// newBlobCache returns the cache at dir, or nil when dir is "".
func newBlobCache(dir string) *blobCache {
	if dir == "" {
		return nil
	}
	return &blobCache{dir: dir}
}

// path returns the file of the blob with digest d.
func (c *blobCache) path(d digest.Digest) string {
	return blobfile.Path(c.dir, d)
}

// has reports whether the cache holds desc (by digest and size).
func (c *blobCache) has(desc ocispec.Descriptor) bool {
	if c == nil || desc.Digest.Validate() != nil {
		return false
	}
	fi, err := os.Stat(c.path(desc.Digest))
	return err == nil && fi.Mode().IsRegular() && fi.Size() == desc.Size
}

// open opens the cached blob; the reader verifies it again while reading.
func (c *blobCache) open(desc ocispec.Descriptor) (io.ReadCloser, error) {
	f, err := os.Open(c.path(desc.Digest))
	if err != nil {
		return nil, err
	}
	return newDigestReader(f, desc), nil
}

// readAll returns the content of a small cached blob, verified.
func (c *blobCache) readAll(desc ocispec.Descriptor) ([]byte, error) {
	rc, err := c.open(desc)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// writer starts writing desc into the cache. Commit the writer after the
// content has been verified; Close without Commit discards it.
func (c *blobCache) writer(desc ocispec.Descriptor) (*cacheWriter, error) {
	dir := filepath.Dir(c.path(desc.Digest))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	f, err := os.CreateTemp(dir, ".tmp-"+desc.Digest.Encoded()[:12]+"-*")
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	return &cacheWriter{f: f, dst: c.path(desc.Digest)}, nil
}

// cacheWriter is a temp file that becomes a cached blob on Commit.
type cacheWriter struct {
	f   *os.File
	dst string
}

// Write writes to the temp file.
func (w *cacheWriter) Write(p []byte) (int, error) { return w.f.Write(p) }

// Commit closes the temp file and renames it into place.
func (w *cacheWriter) Commit() error {
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
func (w *cacheWriter) Discard() {
	_ = w.f.Close()
	_ = os.Remove(w.f.Name())
}

// refPath returns the file that records what ref resolved to.
func (c *blobCache) refPath(ref string) string {
	sum := sha256.Sum256([]byte(ref))
	return filepath.Join(c.dir, "refs", hex.EncodeToString(sum[:]))
}

// cachedRef is the record of a resolved reference.
type cachedRef struct {
	Ref  string             `json:"ref"`
	Desc ocispec.Descriptor `json:"descriptor"`
}

// putRef records that ref resolved to desc (atomically).
func (c *blobCache) putRef(ref string, desc ocispec.Descriptor) error {
	if c == nil {
		return nil
	}
	data, err := json.Marshal(cachedRef{Ref: ref, Desc: desc})
	if err != nil {
		return err
	}
	p := c.refPath(ref)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if err := blobfile.WriteFileAtomic(p, 0o600, data); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

// getRef returns what ref last resolved to.
func (c *blobCache) getRef(ref string) (ocispec.Descriptor, bool) {
	if c == nil {
		return ocispec.Descriptor{}, false
	}
	data, err := os.ReadFile(c.refPath(ref))
	if err != nil {
		return ocispec.Descriptor{}, false
	}
	var r cachedRef
	if json.Unmarshal(data, &r) != nil || r.Ref != ref || r.Desc.Digest.Validate() != nil {
		return ocispec.Descriptor{}, false
	}
	return r.Desc, true
}
