package filelock

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Swept counts what Sweep removed.
type Swept struct {
	// Removed counts the files and directories removed.
	Removed int
	// Bytes is the size of the regular files among them (directories'
	// contents included).
	Bytes int64
}

// Add adds o's counts to s.
func (s *Swept) Add(o Swept) {
	s.Removed += o.Removed
	s.Bytes += o.Bytes
}

// Sweep removes the entries of dir whose names match and that no live
// process holds: temporary files and directories made by CreateTemp and
// MkdirTemp (or by older ybuild versions, which locked nothing) of builds
// that were killed. A locked entry (its maker is alive) is left alone; so
// is everything when dir does not exist. Errors on single entries (one
// removed concurrently, one owned by another user) are skipped.
func Sweep(ctx context.Context, dir string, match func(name string) bool) (Swept, error) {
	var st Swept
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		if !match(e.Name()) {
			continue
		}
		st.Add(sweepOne(filepath.Join(dir, e.Name()), e.IsDir()))
	}
	return st, nil
}

// sweepOne removes path when it can take its lock and path still names
// the file it locked.
func sweepOne(path string, isDir bool) Swept {
	flags := os.O_RDONLY | syscall.O_NOFOLLOW | syscall.O_NONBLOCK
	f, err := os.OpenFile(path, flags, 0)
	if err != nil {
		return Swept{}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.IsDir() != isDir || !(fi.IsDir() || fi.Mode().IsRegular()) {
		return Swept{}
	}
	if ok, err := TryLock(f); err != nil || !ok || !samePath(f, path) {
		return Swept{}
	}
	size := treeSize(path, fi)
	if isDir {
		err = os.RemoveAll(path)
	} else {
		err = os.Remove(path)
	}
	if err != nil {
		return Swept{}
	}
	return Swept{Removed: 1, Bytes: size}
}

// treeSize is the size of a file, or of the regular files in a directory.
func treeSize(path string, fi fs.FileInfo) int64 {
	if !fi.IsDir() {
		return fi.Size()
	}
	var n int64
	filepath.WalkDir(path, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if i, err := d.Info(); err == nil {
				n += i.Size()
			}
		}
		return nil
	})
	return n
}
