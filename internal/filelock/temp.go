package filelock

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// newPrefix names a temporary file or directory in the instant between
// its creation and its lock. Sweep never touches these names: a kill in
// that instant leaves an empty file or directory named .ybuild-new-*,
// which only `ybuild cache prune` (by age) removes.
const newPrefix = ".ybuild-new-"

// CreateTemp creates a new file in dir whose name is pattern with its last
// "*" replaced by a random string (as os.CreateTemp; dir "" is the system
// temp directory), opened for writing and locked: Sweep leaves it alone
// until the file is closed. Rename it into place before closing it.
func CreateTemp(dir, pattern string) (*os.File, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	f, err := os.CreateTemp(dir, newPrefix+"*")
	if err != nil {
		return nil, err
	}
	nf, err := lockAndName(f, dir, pattern)
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return nf, nil
}

// Dir is a locked temporary directory.
type Dir struct {
	// Path is the directory.
	Path string
	f    *os.File
}

// MkdirTemp creates a new directory in parent named as CreateTemp names
// files, and holds its lock until Close: Sweep leaves it alone meanwhile.
func MkdirTemp(parent, pattern string) (*Dir, error) {
	if parent == "" {
		parent = os.TempDir()
	}
	tmp, err := os.MkdirTemp(parent, newPrefix+"*")
	if err != nil {
		return nil, err
	}
	f, err := os.Open(tmp)
	if err != nil {
		os.Remove(tmp)
		return nil, err
	}
	nf, err := lockAndName(f, parent, pattern)
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, err
	}
	return &Dir{Path: nf.Name(), f: nf}, nil
}

// Close releases the directory's lock; it does not remove it.
func (d *Dir) Close() error {
	return d.f.Close()
}

// lockAndName locks f, renames it to a free name made from pattern and
// returns it as a file of that name (a duplicate descriptor, which shares
// the lock); f is closed on success.
func lockAndName(f *os.File, dir, pattern string) (*os.File, error) {
	ok, err := TryLock(f)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("lock %s: held by another process", f.Name())
	}
	for range 100 {
		name := filepath.Join(dir, randomName(pattern))
		if _, err := os.Lstat(name); !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := os.Rename(f.Name(), name); err != nil {
			return nil, err
		}
		fd, err := dupCloexec(f)
		if err != nil {
			os.Rename(name, f.Name())
			return nil, err
		}
		f.Close()
		return os.NewFile(uintptr(fd), name), nil
	}
	return nil, fmt.Errorf("%s: no free temporary name", filepath.Join(dir, pattern))
}

// dupCloexec duplicates f's descriptor, close-on-exec, under the fork
// lock as package os does, so that no child process (a credential helper)
// inherits it and holds the lock.
func dupCloexec(f *os.File) (int, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		return -1, err
	}
	syscall.CloseOnExec(fd)
	return fd, nil
}

// randomName replaces the last "*" of pattern (or appends) with a random string.
func randomName(pattern string) string {
	r := strings.ToLower(rand.Text()[:12])
	if i := strings.LastIndex(pattern, "*"); i >= 0 {
		return pattern[:i] + r + pattern[i+1:]
	}
	return pattern + r
}
