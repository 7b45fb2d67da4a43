package trust

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// blob writes data to dir/name and returns its path and descriptor.
func blob(t *testing.T, dir, name string, data []byte) (string, ocispec.Descriptor) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, ocispec.Descriptor{Digest: digest.FromBytes(data), Size: int64(len(data))}
}

// flushed flushes s until d has a record: a file written just now is racy
// until the file-system clock has ticked (a few milliseconds).
func flushed(t *testing.T, s *Store, d digest.Digest) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if _, err := s.Flush(); err != nil {
			t.Fatal(err)
		}
		if _, ok := s.read(d); ok {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no record for %s after flushing for a second", d)
}

// fsTick waits until the file-system clock has moved past path's ctime, so
// that a write to it now is sure to change the ctime.
func fsTick(t *testing.T, s *Store, path string) {
	t.Helper()
	id, _ := stat(path)
	for i := 0; i < 200; i++ {
		if now, err := s.now(); err == nil && now > id.Ctime {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("file-system clock did not move")
}

func TestTrustAcrossBuilds(t *testing.T) {
	ctx := context.Background()
	cache, blobs := t.TempDir(), t.TempDir()
	data := bytes.Repeat([]byte("layer bytes "), 1000)
	p, desc := blob(t, blobs, "b", data)

	s := New(cache, false)
	if s.Trusted(p, desc) {
		t.Fatal("trusted before anything was verified")
	}
	fsTick(t, s, p) // hashed in the tick of its write, the file would be racy
	if !s.Verify(ctx, p, desc) {
		t.Fatal("Verify: false for the right content")
	}
	s.Note(p, desc) // as after writing it
	if !s.Trusted(p, desc) {
		t.Error("not trusted right after this build verified it")
	}
	flushed(t, s, desc.Digest)

	next := New(cache, false) // the next build
	if !next.Trusted(p, desc) {
		t.Fatal("next build: recorded file not trusted")
	}
	if New(cache, true).Trusted(p, desc) {
		t.Error("full check: a record was trusted")
	}
	other := desc
	other.Digest = digest.FromString("other")
	if next.Trusted(p, other) {
		t.Error("trusted for another digest")
	}

	t.Run("corrupt in place, same size", func(t *testing.T) {
		fsTick(t, next, p)
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteAt([]byte("X"), 100)
		f.Close()
		s := New(cache, false)
		if s.Trusted(p, desc) || s.Verify(ctx, p, desc) {
			t.Error("a blob changed in place is trusted or verifies")
		}
	})
	t.Run("replaced by another file", func(t *testing.T) {
		good, _ := blob(t, blobs, "good", data)
		if err := os.Rename(good, p); err != nil {
			t.Fatal(err)
		}
		s := New(cache, false)
		if s.Trusted(p, desc) {
			t.Error("a new inode is trusted by the old record")
		}
		if !s.Verify(ctx, p, desc) {
			t.Error("the replacement has the right content but does not verify")
		}
		bad := append([]byte{}, data...)
		bad[0] = 'X'
		badPath, _ := blob(t, blobs, "bad", bad)
		if err := os.Rename(badPath, p); err != nil {
			t.Fatal(err)
		}
		if New(cache, false).Verify(ctx, p, desc) {
			t.Error("a replacement with other content of the same size verifies")
		}
	})
}

func TestTrustNoteOnlyWhileUnchanged(t *testing.T) {
	s := New(t.TempDir(), false)
	p, desc := blob(t, t.TempDir(), "b", []byte("hello"))
	s.Note(p, desc)
	if !s.Trusted(p, desc) {
		t.Fatal("noted file not trusted")
	}
	fsTick(t, s, p) // a write in the tick of the last change might keep the ctime
	if err := os.WriteFile(p, []byte("HELLO"), 0o644); err != nil {
		t.Fatal(err)
	}
	if s.Trusted(p, desc) {
		t.Error("noted file trusted after a write")
	}
	if s.Verify(context.Background(), p, desc) {
		t.Error("changed content verifies")
	}
	var nilStore *Store
	if _, err := nilStore.Flush(); nilStore.Trusted(p, desc) || err != nil {
		t.Error("nil store trusts or fails")
	}
}

// writeRecord writes d's record file with one identity taken at taken.
func writeRecord(t *testing.T, s *Store, d digest.Digest, id Identity, taken int64) {
	t.Helper()
	data, err := json.Marshal(record{Digest: d, Files: []recorded{{Identity: id, Taken: taken}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(s.dir, "trust"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.recordPath(d), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTrustRacilyClean: a record proves a file's content only when the
// file's last change (ctime and mtime) is strictly older than the moment
// the record was taken; otherwise a foreign write later in that clock tick
// could have kept the identity, and the file is hashed again.
func TestTrustRacilyClean(t *testing.T) {
	ctx := context.Background()
	cache := t.TempDir()
	data := bytes.Repeat([]byte("layer bytes "), 1000)
	p, desc := blob(t, t.TempDir(), "b", data)
	id, ok := stat(p)
	if !ok {
		t.Fatal("no identity")
	}

	t.Run("record times", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			taken int64
			want  bool
		}{
			{"taken in the tick of the last change", id.Ctime, false},
			{"taken before the last change", id.Ctime - 1, false},
			{"mtime not older", max(id.Mtime, id.Ctime), false},
			{"older record without a time", 0, false},
			{"taken a tick later", max(id.Mtime, id.Ctime) + 1, true},
		} {
			writeRecord(t, New(cache, false), desc.Digest, id, tc.taken)
			if got := New(cache, false).Trusted(p, desc); got != tc.want {
				t.Errorf("%s: trusted %v, want %v", tc.name, got, tc.want)
			}
		}
		if err := os.Remove(New(cache, false).recordPath(desc.Digest)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("foreign write in the tick of the note", func(t *testing.T) {
		// The build wrote p and noted it at moment T; a foreign write of
		// the same size lands later in T, so p's ctime is still T.
		s := New(cache, false)
		bad := bytes.Clone(data)
		bad[10] = 'X'
		if err := os.WriteFile(p, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		now, ok := stat(p)
		if !ok {
			t.Fatal("no identity")
		}
		s.note(p, now, desc, max(now.Ctime, now.Mtime))
		racy, err := s.Flush()
		if err != nil || racy != 1 {
			t.Fatalf("Flush: %d racy, %v; want 1 racy", racy, err)
		}
		next := New(cache, false)
		if next.Trusted(p, desc) || next.Verify(ctx, p, desc) {
			t.Error("the next build trusts a file written in the tick its record was taken")
		}
	})

	t.Run("mtime in the future", func(t *testing.T) {
		// The right content, with an mtime (os.Chtimes) later than any
		// moment a record can be taken now: hashed, never recorded.
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		future := time.Now().Add(time.Hour)
		if err := os.Chtimes(p, future, future); err != nil {
			t.Fatal(err)
		}
		s := New(cache, false)
		fsTick(t, s, p)
		if !s.Verify(ctx, p, desc) {
			t.Fatal("the right content does not verify")
		}
		s.Note(p, desc)
		if racy, err := s.Flush(); err != nil || racy != 1 {
			t.Fatalf("Flush: %d racy, %v; want 1", racy, err)
		}
		if _, ok := s.read(desc.Digest); ok {
			t.Error("a record was written for a file whose mtime is not older than the record")
		}
		if New(cache, false).Trusted(p, desc) {
			t.Error("trusted by a racy record")
		}
	})

	t.Run("hashed a tick after the last change", func(t *testing.T) {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		s := New(cache, false)
		fsTick(t, s, p)
		if !s.Verify(ctx, p, desc) {
			t.Fatal("the right content does not verify")
		}
		if racy, err := s.Flush(); err != nil || racy != 0 {
			t.Fatalf("Flush: %d racy, %v; want 0", racy, err)
		}
		if !New(cache, false).Trusted(p, desc) {
			t.Error("a file hashed in a later tick than its last change is not trusted by its record")
		}
	})
}
