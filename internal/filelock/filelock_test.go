package filelock

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAcquireExcludesAndReleaseRemoves(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index.json.lock")
	a, err := Acquire(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := Acquire(ctx, path); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Acquire while held: %v, want the context's deadline", err)
	}
	got := make(chan error, 1)
	go func() {
		b, err := Acquire(context.Background(), path)
		if err == nil {
			err = b.Release()
		}
		got <- err
	}()
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the lock file stayed: %v", err)
	}
}

func TestSweepRemovesOnlyUnlocked(t *testing.T) {
	dir := t.TempDir()
	live, err := CreateTemp(dir, ".a.tmp-*")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	dead, err := CreateTemp(dir, ".b.tmp-*")
	if err != nil {
		t.Fatal(err)
	}
	dead.Close() // its maker is gone: unlocked
	liveDir, err := MkdirTemp(dir, ".work-*")
	if err != nil {
		t.Fatal(err)
	}
	defer liveDir.Close()
	deadDir, err := MkdirTemp(dir, ".work-*")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(deadDir.Path, "spool"), []byte("1234"), 0o644)
	deadDir.Close()
	other := filepath.Join(dir, "keep.txt")
	os.WriteFile(other, nil, 0o644)

	match := func(n string) bool { return strings.Contains(n, ".tmp-") || strings.HasPrefix(n, ".work-") }
	st, err := Sweep(context.Background(), dir, match)
	if err != nil {
		t.Fatal(err)
	}
	if st.Removed != 2 || st.Bytes != 4 {
		t.Errorf("swept %+v, want 2 entries of 4 bytes", st)
	}
	for _, p := range []string{live.Name(), liveDir.Path, other} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
	for _, p := range []string{dead.Name(), deadDir.Path} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s of a dead maker stayed", p)
		}
	}
	if !strings.HasPrefix(filepath.Base(live.Name()), ".a.tmp-") {
		t.Errorf("CreateTemp named %s, want .a.tmp-*", live.Name())
	}
	if st, err := Sweep(context.Background(), filepath.Join(dir, "none"), match); err != nil || st.Removed != 0 {
		t.Errorf("Sweep of a missing directory: %+v, %v", st, err)
	}
}
