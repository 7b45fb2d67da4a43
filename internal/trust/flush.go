package trust

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"

	"github.com/ybuild/ybuild/internal/blobfile"
)

// Flush records every file noted during this build that is still
// unchanged, unless its last change lies in the same file-system clock
// tick as the moment its content was known (hashed, or written by this
// process): a write later in that tick could have kept the identity, so
// such a racy file is left out and hashed again by a later build (which
// records it then). Waiting does not help a racy file. It returns how many
// files were left out. Failures only cost a later hash.
func (s *Store) Flush() (racy int, err error) {
	if s == nil || s.dir == "" {
		return 0, nil
	}
	for d, recs := range s.unchanged() {
		var keep []recorded
		for _, r := range recs {
			if r.clean() {
				keep = append(keep, r)
			} else {
				racy++
			}
		}
		if len(keep) > 0 {
			if err := s.add(d, keep); err != nil {
				return racy, err
			}
		}
	}
	return racy, nil
}

// unchanged returns, by digest, the identities of noted files that are
// as this process last noted them, each with the latest moment its content
// was known. A file may have several names (hard links: the cache's, a
// layout's, a work file since removed or renamed); every link or unlink
// changes the ctime of all of them, so a name counts when its file is as
// the latest note of that file (device and inode).
func (s *Store) unchanged() map[digest.Digest][]recorded {
	type inode struct{ dev, ino uint64 }
	s.mu.Lock()
	defer s.mu.Unlock()
	latest := map[inode]noted{}
	for _, n := range s.seen {
		k := inode{n.id.Dev, n.id.Ino}
		l, ok := latest[k]
		if !ok || n.id.Ctime > l.id.Ctime || (n.id == l.id && n.taken > l.taken) {
			latest[k] = n
		}
	}
	out := map[digest.Digest][]recorded{}
	done := map[Identity]bool{}
	for p := range s.seen {
		id, ok := stat(p)
		if !ok || done[id] {
			continue
		}
		if l := latest[inode{id.Dev, id.Ino}]; l.id == id {
			out[l.desc.Digest] = append(out[l.desc.Digest], recorded{Identity: id, Taken: l.taken})
			done[id] = true
		}
	}
	return out
}

// now returns the file-system clock: the mtime of a new file in the trust
// directory, in nanoseconds (the same clock, and tick, as every ctime).
func (s *Store) now() (int64, error) {
	dir := filepath.Join(s.dir, "trust")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("trust: %w", err)
	}
	f, err := os.CreateTemp(dir, ".now-*")
	if err != nil {
		return 0, fmt.Errorf("trust: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("trust: %w", err)
	}
	return fi.ModTime().UnixNano(), nil
}

// add merges recs into d's record (newest last, at most maxIdentities;
// one entry per identity).
func (s *Store) add(d digest.Digest, recs []recorded) error {
	r, _ := s.read(d)
	r.Digest = d
	for _, rec := range recs {
		r.Files = append(without(r.Files, rec.Identity), rec)
	}
	if len(r.Files) > maxIdentities {
		r.Files = r.Files[len(r.Files)-maxIdentities:]
	}
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	p := s.recordPath(d)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("trust: %w", err)
	}
	if err := blobfile.WriteFileAtomic(p, 0o644, data); err != nil {
		return fmt.Errorf("trust: %w", err)
	}
	return nil
}

// without returns recs without those of identity id.
func without(recs []recorded, id Identity) []recorded {
	out := recs[:0:0]
	for _, x := range recs {
		if x.Identity != id {
			out = append(out, x)
		}
	}
	return out
}

// Forget removes d's record (the blob was found damaged or deleted).
func (s *Store) Forget(d digest.Digest) {
	if s == nil || s.dir == "" || d.Validate() != nil {
		return
	}
	_ = os.Remove(s.recordPath(d))
}
