package assemble

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"

	"github.com/ybuild/ybuild/internal/blobfile"
)

// store records l under key and shape: its blob is hard-linked (across
// file systems, copied) into the cache, then each record is written by
// rename. Failures only cost a future cache miss, so they are returned for
// the caller to ignore.
func (c *layerCache) store(key, shape string, l Layer) error {
	if c == nil {
		return nil
	}
	p := c.blobPath(l.Desc.Digest)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := blobfile.LinkReplace(l.Path, p); err != nil {
		// Another file system (a cache in $HOME, outputs on a volume):
		// copy, unless the cache already has a good copy.
		if !blobfile.Verify(context.Background(), p, l.Desc) {
			if err := copyReplace(l.Path, p); err != nil {
				return err
			}
		}
	}
	data, err := json.Marshal(cacheRecord{Desc: l.Desc, DiffID: l.DiffID})
	if err != nil {
		return err
	}
	if err := c.writeRecord(c.recordPath("layers", key), data); err != nil {
		return err
	}
	return c.writeRecord(c.recordPath("shapes", shape), data)
}

// writeRecord writes data to rec by rename.
func (c *layerCache) writeRecord(rec string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(rec), 0o755); err != nil {
		return err
	}
	return blobfile.WriteFileAtomic(rec, 0o600, data)
}

// copyReplace copies src to path through a temporary file renamed into place.
func copyReplace(src, path string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return blobfile.WriteAtomic(path, 0o644, false, func(f *os.File) error {
		_, err := io.Copy(f, in)
		return err
	})
}
