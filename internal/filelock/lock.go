package filelock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// pollInterval is how often Acquire retries a lock another process holds.
const pollInterval = 20 * time.Millisecond

// Lock is an exclusive lock held on a lock file.
type Lock struct {
	f    *os.File
	path string
}

// Acquire takes the exclusive lock of the lock file path, creating it if
// needed, and waits while another process holds it; ctx ends the wait.
// Release removes the file, so a lock file exists only while in use (or
// after a killed holder, until the next Acquire).
func Acquire(ctx context.Context, path string) (*Lock, error) {
	for {
		l, ok, err := tryAcquire(path)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if ok {
			return l, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

// tryAcquire makes one attempt. The lock counts only when path still
// names the locked file: a releasing holder removes it, and a waiter
// that locked the removed file must start again.
func tryAcquire(path string) (*Lock, bool, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return nil, false, err
	}
	ok, err := TryLock(f)
	if err != nil || !ok || !samePath(f, path) {
		f.Close()
		return nil, false, err
	}
	return &Lock{f: f, path: path}, true, nil
}

// Release removes the lock file and releases the lock.
func (l *Lock) Release() error {
	err := os.Remove(l.path)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// TryLock takes an exclusive lock on f without waiting; it reports false
// when another open file description holds one.
func TryLock(f *os.File) (bool, error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		}
		return false, err
	}
}

// samePath reports whether path (not following a symlink) is the open file f.
func samePath(f *os.File, path string) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	pi, err := os.Lstat(path)
	return err == nil && os.SameFile(fi, pi)
}
