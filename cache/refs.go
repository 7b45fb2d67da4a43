package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/blobfile"
)

// refPath returns the file that records what ref resolved to.
func (c *Cache) refPath(ref string) string {
	sum := sha256.Sum256([]byte(ref))
	return filepath.Join(c.dir, "refs", hex.EncodeToString(sum[:]))
}

// refRecord is the record of a resolved reference.
type refRecord struct {
	Ref  string             `json:"ref"`
	Desc ocispec.Descriptor `json:"descriptor"`
}

// PutRef records that ref resolved to desc (atomically).
func (c *Cache) PutRef(ref string, desc ocispec.Descriptor) error {
	if c == nil {
		return nil
	}
	data, err := json.Marshal(refRecord{Ref: ref, Desc: desc})
	if err != nil {
		return err
	}
	return c.writeFile(c.refPath(ref), data)
}

// Ref returns what ref last resolved to.
func (c *Cache) Ref(ref string) (ocispec.Descriptor, bool) {
	if c == nil {
		return ocispec.Descriptor{}, false
	}
	data, err := os.ReadFile(c.refPath(ref))
	if err != nil {
		return ocispec.Descriptor{}, false
	}
	var r refRecord
	if json.Unmarshal(data, &r) != nil || r.Ref != ref || r.Desc.Digest.Validate() != nil {
		return ocispec.Descriptor{}, false
	}
	return r.Desc, true
}

// writeFile writes a small record file by rename, creating its directory.
func (c *Cache) writeFile(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if err := blobfile.WriteFileAtomic(p, 0o600, data); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}
