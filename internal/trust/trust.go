package trust

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/ybuild/ybuild/imageio"
)

// maxIdentities bounds how many files one record remembers (hard links
// share one identity; copies on other file systems each have their own).
const maxIdentities = 16

// Identity is what a file's content is trusted by: its device and inode,
// size, and mtime and ctime in nanoseconds.
type Identity struct {
	Dev   uint64 `json:"dev"`
	Ino   uint64 `json:"ino"`
	Size  int64  `json:"size"`
	Mtime int64  `json:"mtime"`
	Ctime int64  `json:"ctime"`
}

// record is the content of a record file.
type record struct {
	Digest digest.Digest `json:"digest"`
	Files  []recorded    `json:"files"`
}

// recorded is an identity a file had when its content was known to be the
// blob's, and Taken, the file-system clock (nanoseconds) at that moment.
// It is trusted only when the file's last change (mtime and ctime) is
// strictly older than Taken: a write later in the tick of the last change
// could keep the identity (git's "racily clean" entries). Records without
// Taken (older ones) are never trusted: the file is hashed again.
type recorded struct {
	Identity
	Taken int64 `json:"taken"`
}

// clean reports whether r proves the content: its identity's last change
// lies in an earlier clock tick than the moment it was taken.
func (r recorded) clean() bool { return r.Ctime < r.Taken && r.Mtime < r.Taken }

// noted is a file this process wrote or hashed, with its identity then and
// the moment its content was known (taken; 0 without a cache directory).
type noted struct {
	path  string
	id    Identity
	desc  ocispec.Descriptor
	taken int64
}

// Store holds the records under a cache directory and what this process
// has verified. A nil *Store trusts nothing and records nothing: every
// Verify hashes. It is safe for concurrent use.
type Store struct {
	dir  string
	full bool

	mu   sync.Mutex
	seen map[string]noted // by path
}

// New returns the store of the cache directory dir ("" keeps no records:
// only what this process verified is trusted). With full, no record and
// nothing noted is trusted: every Verify hashes (records are still
// written, so a later build without full benefits).
func New(dir string, full bool) *Store {
	return &Store{dir: dir, full: full, seen: map[string]noted{}}
}

// recordPath is the record file of d.
func (s *Store) recordPath(d digest.Digest) string {
	return filepath.Join(s.dir, "trust", d.Algorithm().String()+"-"+d.Encoded()+".json")
}

// Trusted reports, without reading it, whether path holds desc's content:
// this process wrote or hashed it and it has not changed since, or a
// record says so.
func (s *Store) Trusted(path string, desc ocispec.Descriptor) bool {
	if s == nil || s.full || desc.Digest.Validate() != nil {
		return false
	}
	id, ok := stat(path)
	if !ok || id.Size != desc.Size {
		return false
	}
	if s.noted(id, desc.Digest) {
		return true
	}
	if s.dir == "" {
		return false
	}
	r, ok := s.read(desc.Digest)
	if !ok {
		return false
	}
	for _, f := range r.Files {
		if f.Identity == id && f.clean() {
			return true
		}
	}
	return false
}

// Verify reports whether path is a regular file holding exactly desc's
// content: trusted without reading it, else hashed (and then noted).
func (s *Store) Verify(ctx context.Context, path string, desc ocispec.Descriptor) bool {
	if s.Trusted(path, desc) {
		return true
	}
	taken := s.taken() // before the file is looked at: its content is known as of then
	id, ok := hashFile(ctx, path, desc)
	if ok && s != nil && (s.dir == "" || (recorded{Identity: id, Taken: taken}).clean()) {
		s.note(path, id, desc, taken) // a file changed in this very tick is hashed again
	}
	return ok
}

// taken returns the file-system clock now, the moment a record is taken;
// 0 without a cache directory (nothing is recorded) or when it cannot be
// read (nothing taken then is ever recorded).
func (s *Store) taken() int64 {
	if s == nil || s.dir == "" {
		return 0
	}
	now, err := s.now()
	if err != nil {
		return 0
	}
	return now
}

// Note tells the store that path now holds desc's content: this process
// has just written it, or linked a file it trusts there.
func (s *Store) Note(path string, desc ocispec.Descriptor) {
	if s == nil {
		return
	}
	taken := s.taken()
	if id, ok := stat(path); ok && id.Size == desc.Size {
		s.note(path, id, desc, taken)
	}
}

// noted reports whether this process noted a file with identity id (any of
// its hard links) as holding d.
func (s *Store) noted(id Identity, d digest.Digest) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.seen {
		if n.id == id && n.desc.Digest == d {
			return true
		}
	}
	return false
}

func (s *Store) note(path string, id Identity, desc ocispec.Descriptor, taken int64) {
	s.mu.Lock()
	s.seen[path] = noted{path: path, id: id, desc: desc, taken: taken}
	s.mu.Unlock()
}

// hashFile hashes path against desc and returns the identity the file had
// while it was read; ok is false on any mismatch or if the file changed
// during the read.
func hashFile(ctx context.Context, path string, desc ocispec.Descriptor) (Identity, bool) {
	if desc.Digest.Validate() != nil {
		return Identity{}, false
	}
	f, err := os.Open(path)
	if err != nil {
		return Identity{}, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Identity{}, false
	}
	before, ok := identityOf(fi)
	if !ok || before.Size != desc.Size {
		return Identity{}, false
	}
	v := desc.Digest.Verifier()
	n, err := io.Copy(v, imageio.WithContext(ctx, f))
	if err != nil || n != desc.Size || !v.Verified() {
		return Identity{}, false
	}
	after, ok := stat(path)
	return before, ok && after == before
}

// stat returns path's identity.
func stat(path string) (Identity, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return Identity{}, false
	}
	return identityOf(fi)
}

// read reads d's record.
func (s *Store) read(d digest.Digest) (record, bool) {
	var r record
	data, err := os.ReadFile(s.recordPath(d))
	if err != nil || json.Unmarshal(data, &r) != nil || r.Digest != d {
		return record{}, false
	}
	return r, true
}
