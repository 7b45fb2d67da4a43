package cache

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// RecordKind says which key a layer record is filed under.
type RecordKind string

// The kinds of layer records.
const (
	// ByKey files a record under the layer's full key, which includes the
	// identity of every source file.
	ByKey RecordKind = "layers"
	// ByShape files it under the key without the sources' identity; a hit
	// must be confirmed by the DiffID.
	ByShape RecordKind = "shapes"
)

// Record is what the cache knows of a built layer: its blob's descriptor
// and its DiffID, and where the blob came from when it was taken from a
// shared cache (the repository, REGISTRY/REPO, a push to that registry can
// mount it from). Records without an origin (older ones too) are layers
// built here. A Remote record's blob was left in its origin: the cache
// holds no copy of it.
type Record struct {
	Desc   ocispec.Descriptor `json:"descriptor"`
	DiffID digest.Digest      `json:"diffID"`
	Origin string             `json:"origin,omitempty"`
	Remote bool               `json:"remote,omitempty"`
}

// recordPath is the file of the record for key.
func (c *Cache) recordPath(kind RecordKind, key string) string {
	return filepath.Join(c.dir, string(kind), key+".json")
}

// Record returns the well-formed record filed under key. Its blob may be
// missing or damaged: check it with Verified.
func (c *Cache) Record(kind RecordKind, key string) (Record, bool) {
	if c == nil {
		return Record{}, false
	}
	return readRecord(c.recordPath(kind, key))
}

// readRecord reads and checks a record file.
func readRecord(p string) (Record, bool) {
	var r Record
	data, err := os.ReadFile(p)
	if err != nil {
		return r, false
	}
	if json.Unmarshal(data, &r) != nil || r.Desc.Digest.Validate() != nil || r.DiffID.Validate() != nil {
		return r, false
	}
	return r, true
}

// PutRecord files r under key (atomically). Storing a record again marks
// it as used now, for Prune. Put the blob in place (Link) first, so that no
// record ever names a missing blob (a Remote record names none here).
func (c *Cache) PutRecord(kind RecordKind, key string, r Record) error {
	if c == nil {
		return nil
	}
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return c.writeFile(c.recordPath(kind, key), data)
}
