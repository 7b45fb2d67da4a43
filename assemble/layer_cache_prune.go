package assemble

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/ybuild/ybuild/resolve"
)

// PruneCache removes from the cache directory dir what was last written
// or used before cutoff: layer records (a cache hit rewrites its record, so
// a layer in use stays), then, through resolve.PruneBlobCache, reference
// records and blobs that no remaining layer record names. Later builds
// rebuild or download what they need. It reads no clock.
func PruneCache(dir string, cutoff time.Time) (resolve.PruneStats, error) {
	var st resolve.PruneStats
	keep := map[digest.Digest]bool{}
	for _, kind := range []string{"layers", "shapes"} {
		err := filepath.WalkDir(filepath.Join(dir, kind), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			before := st.Removed
			if err := resolve.PruneFile(p, d, cutoff, false, &st); err != nil {
				return err
			}
			if st.Removed == before {
				keepRecordBlob(p, keep)
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return st, fmt.Errorf("prune %s: %w", dir, err)
		}
	}
	blobs, err := resolve.PruneBlobCache(dir, cutoff, keep)
	st.Add(blobs)
	return st, err
}

// keepRecordBlob adds the blob a kept layer record names to keep.
func keepRecordBlob(path string, keep map[digest.Digest]bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	var r cacheRecord
	if json.Unmarshal(data, &r) == nil && r.Desc.Digest.Validate() == nil {
		keep[r.Desc.Digest] = true
	}
}
