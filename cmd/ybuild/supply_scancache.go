package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/ybuild/ybuild/attest"
	"github.com/ybuild/ybuild/cache"
	"github.com/ybuild/ybuild/internal/blobfile"
)

// scanRecord is a saved layer scan: the files of the layer blob Layer.
// A layer blob's files depend only on its bytes, so the scan of a layer
// reused from the layer cache is read back instead of decompressing the
// layer again.
type scanRecord struct {
	Version int           `json:"version"`
	Layer   digest.Digest `json:"layer"`
	DiffID  digest.Digest `json:"diffID"`
	Files   []attest.File `json:"files"`
}

// scanPath is DIR/scans/<alg>-<hex>.json (not under a <alg>/ directory:
// the file is a record about a blob, not the blob).
func scanPath(dir string, d digest.Digest) string {
	return filepath.Join(dir, cache.ScansDir, d.Algorithm().String()+"-"+d.Encoded()+".json")
}

// loadScan returns the saved scan of the layer blob d, marking it used
// (for `ybuild cache prune`), if there is a well-formed one of this
// version.
func loadScan(dir string, d digest.Digest) ([]attest.File, digest.Digest, bool) {
	if dir == "" || d.Validate() != nil {
		return nil, "", false
	}
	p := scanPath(dir, d)
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, "", false
	}
	var r scanRecord
	if json.Unmarshal(data, &r) != nil || r.Version != attest.ScanVersion || r.Layer != d || r.DiffID.Validate() != nil {
		return nil, "", false
	}
	now := time.Now()
	_ = os.Chtimes(p, now, now)
	return r.Files, r.DiffID, true
}

// saveScan saves a layer scan; failing to is not an error (the next build
// scans again).
func saveScan(dir string, l attest.Layer) {
	if dir == "" || l.Desc.Digest.Validate() != nil {
		return
	}
	data, err := json.Marshal(scanRecord{Version: attest.ScanVersion, Layer: l.Desc.Digest, DiffID: l.DiffID, Files: l.Files})
	if err != nil {
		return
	}
	p := scanPath(dir, l.Desc.Digest)
	if os.MkdirAll(filepath.Dir(p), 0o755) != nil {
		return
	}
	_ = blobfile.WriteAtomic(p, 0o644, true, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}
