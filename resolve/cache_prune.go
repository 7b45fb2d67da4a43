package resolve

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/opencontainers/go-digest"
)

// PruneStats counts the files a cache prune removed and kept.
type PruneStats struct {
	// Removed and RemovedBytes count the files deleted.
	Removed      int
	RemovedBytes int64
	// Kept and KeptBytes count the files left.
	Kept      int
	KeptBytes int64
}

// Add adds o's counts to s.
func (s *PruneStats) Add(o PruneStats) {
	s.Removed += o.Removed
	s.RemovedBytes += o.RemovedBytes
	s.Kept += o.Kept
	s.KeptBytes += o.KeptBytes
}

// PruneBlobCache removes from the cache at dir the reference records
// (refs/) and blobs (blobs/) last written before cutoff, except the blobs
// in keep, along with temporary files of that age left by interrupted
// builds. A build that needs a removed blob fetches it again. It reads no
// clock: the caller chooses cutoff.
func PruneBlobCache(dir string, cutoff time.Time, keep map[digest.Digest]bool) (PruneStats, error) {
	var st PruneStats
	for _, sub := range []string{"refs", "blobs"} {
		err := filepath.WalkDir(filepath.Join(dir, sub), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			kept := sub == "blobs" && keep[digest.NewDigestFromEncoded(digest.Algorithm(filepath.Base(filepath.Dir(p))), d.Name())]
			return PruneFile(p, d, cutoff, kept, &st)
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return st, fmt.Errorf("prune %s: %w", dir, err)
		}
	}
	return st, nil
}

// PruneFile removes the file p unless keep is set or it was written at or
// after cutoff, and counts it in st.
func PruneFile(p string, d fs.DirEntry, cutoff time.Time, keep bool, st *PruneStats) error {
	fi, err := d.Info()
	if errors.Is(err, fs.ErrNotExist) {
		return nil // removed by a concurrent prune
	}
	if err != nil {
		return err
	}
	if keep || !fi.ModTime().Before(cutoff) {
		st.Kept++
		st.KeptBytes += fi.Size()
		return nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	st.Removed++
	st.RemovedBytes += fi.Size()
	return nil
}
