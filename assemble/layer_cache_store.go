package assemble

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
)

// store records l under key and shape: its blob is hard-linked (across
// file systems, copied) into the cache, then each record is written by
// rename. Failures only cost a
// future cache miss, so they are returned for the caller to ignore.
func (c *layerCache) store(key, shape string, l Layer) error {
	if c == nil {
		return nil
	}
	p := c.blobPath(l.Desc.Digest)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := LinkReplace(l.Path, p); err != nil {
		// Another file system (a cache in $HOME, outputs on a volume):
		// copy, unless the cache already has a good copy.
		if !VerifyFile(context.Background(), p, l.Desc) {
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
	tmp, err := os.CreateTemp(filepath.Dir(rec), ".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), rec)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// linkSeq makes temporary link names unique within the process.
var linkSeq atomic.Int64

// LinkReplace hard-links src at path through a uniquely named temporary
// link renamed into place, replacing a file already there (it may be a
// damaged copy); path already being src is a no-op.
func LinkReplace(src, path string) error {
	if fi, err := os.Stat(path); err == nil {
		if si, err := os.Stat(src); err == nil && os.SameFile(fi, si) {
			return nil
		}
	}
	tmp := fmt.Sprintf("%s.link-%d-%d", path, os.Getpid(), linkSeq.Add(1))
	if err := os.Link(src, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// copyReplace copies src to path through a temporary file renamed into place.
func copyReplace(src, path string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-copy-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = io.Copy(tmp, in); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
