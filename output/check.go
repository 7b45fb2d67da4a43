package output

import (
	"fmt"
	"os"
	"path/filepath"
)

// Checker is implemented by writers that can tell before the image is
// built that their destination cannot be written: a layout directory that
// is not a layout, an archive path that is a directory, a parent that is
// a file. A build checks its outputs first, so that a bad destination
// costs no work and leaves no trace (not even in the cache).
type Checker interface {
	Check() error
}

var (
	_ Checker = (*layoutWriter)(nil)
	_ Checker = (*ociArchiveWriter)(nil)
	_ Checker = (*dockerArchiveWriter)(nil)
)

// Check fails when the layout's directory is neither absent, empty nor an
// OCI layout with a readable index.json, or its parent is not a directory.
func (w *layoutWriter) Check() error {
	if err := checkParent(w.dir); err != nil {
		return fmt.Errorf("%s: %w", w.dest, err)
	}
	exists, err := isLayout(w.dir)
	if err == nil && exists {
		_, err = readIndex(w.dir)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", w.dest, err)
	}
	return nil
}

// Check fails when the archive path is a directory.
func (w *ociArchiveWriter) Check() error { return checkArchivePath(w.dest, w.path) }

// Check fails when the archive path is a directory.
func (w *dockerArchiveWriter) Check() error { return checkArchivePath(w.dest, w.path) }

// checkArchivePath fails when path is a directory or its parent is not one.
func checkArchivePath(dest, path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s: %w: %s is a directory", dest, ErrUsage, path)
	}
	if err := checkParent(path); err != nil {
		return fmt.Errorf("%s: %w", dest, err)
	}
	return nil
}

// checkParent fails when an existing ancestor of path is not a directory
// (an I/O failure, as when writing would fail later: exit 1).
func checkParent(path string) error {
	for d := filepath.Dir(path); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("%s is not a directory", d)
			}
			return nil
		}
		if filepath.Dir(d) == d {
			return nil
		}
	}
}
