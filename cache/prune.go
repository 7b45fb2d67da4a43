package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/opencontainers/go-digest"
)

// ScansDir is the subdirectory of the SBOM's saved records (the files of
// a layer blob, by its digest; documents, by their input), which the build
// marks used on every read.
const ScansDir = "scans"

// PruneStats counts the files a cache prune removed and kept.
type PruneStats struct {
	// Removed and RemovedBytes count the files deleted.
	Removed      int
	RemovedBytes int64
	// Kept and KeptBytes count the files left.
	Kept      int
	KeptBytes int64
}

// Prune removes from the cache directory dir what was last written or used
// before cutoff: layer records (storing a record again marks it used, so a
// layer in use stays), then reference records and blobs that no remaining
// layer record names, and SBOM records (ScansDir), along with temporary
// files of that age left by interrupted builds. Later builds rebuild or download what they need. It
// reads no clock: the caller chooses cutoff.
func Prune(dir string, cutoff time.Time) (PruneStats, error) {
	var st PruneStats
	keep := map[digest.Digest]bool{}
	for _, kind := range []RecordKind{ByKey, ByShape} {
		err := walkFiles(filepath.Join(dir, string(kind)), func(p string, d fs.DirEntry) error {
			removed, err := pruneFile(p, d, cutoff, false, &st)
			if err == nil && !removed {
				if r, ok := readRecord(p); ok {
					keep[r.Desc.Digest] = true
				}
			}
			return err
		})
		if err != nil {
			return st, fmt.Errorf("prune %s: %w", dir, err)
		}
	}
	for _, sub := range []string{"refs", "blobs", ScansDir, "trust"} { // trust: records of verified blob files (internal/trust)
		err := walkFiles(filepath.Join(dir, sub), func(p string, d fs.DirEntry) error {
			kept := sub == "blobs" && keep[digest.NewDigestFromEncoded(digest.Algorithm(filepath.Base(filepath.Dir(p))), d.Name())]
			_, err := pruneFile(p, d, cutoff, kept, &st)
			return err
		})
		if err != nil {
			return st, fmt.Errorf("prune %s: %w", dir, err)
		}
	}
	return st, nil
}

// walkFiles calls f for every file under root; a missing root is empty.
func walkFiles(root string, f func(p string, d fs.DirEntry) error) error {
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		return f(p, d)
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// pruneFile removes the file p unless keep is set or it was written at or
// after cutoff, counts it in st and reports whether it was removed.
func pruneFile(p string, d fs.DirEntry, cutoff time.Time, keep bool, st *PruneStats) (bool, error) {
	fi, err := d.Info()
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil // removed by a concurrent prune
	}
	if err != nil {
		return false, err
	}
	if keep || !fi.ModTime().Before(cutoff) {
		st.Kept++
		st.KeptBytes += fi.Size()
		return false, nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	st.Removed++
	st.RemovedBytes += fi.Size()
	return true, nil
}
