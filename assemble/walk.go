package assemble

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// This file opens sources below the spec directory without following
// symlinks: a tree can be changed while it is copied (a directory swapped
// for a symlink to /), and a copy must never take in what lies outside.
// Directories are opened one component at a time from a handle on the spec
// directory (os.Root: never leaving it) and each is checked to be the
// directory the walk just listed (device and inode); files are opened
// again beneath the same directory when their content is read (on Linux
// with openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, see open_linux.go) and
// checked to be the file the walk saw (device, inode and size). Any
// difference fails the build with ErrSourceChanged.

// dirHandle is an open directory below the spec directory.
type dirHandle struct{ r *os.Root }

// Close closes the directory.
func (d *dirHandle) Close() error { return d.r.Close() }

// FS is the directory as a file system (for globs).
func (d *dirHandle) FS() fs.FS { return d.r.FS() }

// names lists the directory's entries in name order.
func (d *dirHandle) names() ([]string, error) {
	f, err := d.r.Open(".")
	if err != nil {
		return nil, err
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	slices.Sort(names)
	return names, err
}

// lstat returns the Lstat of the entry name.
func (d *dirHandle) lstat(name string) (fs.FileInfo, error) { return d.r.Lstat(name) }

// readlink returns the target of the symlink name.
func (d *dirHandle) readlink(name string) (string, error) { return d.r.Readlink(name) }

// sub opens the subdirectory name, which the walk saw as fi, and checks
// that it is still that directory.
func (d *dirHandle) sub(name string, fi fs.FileInfo) (*dirHandle, error) {
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory any more: %w", name, ErrSourceChanged)
	}
	r, err := d.r.OpenRoot(name)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w: %w", name, err, ErrSourceChanged)
	}
	got, err := r.Stat(".")
	if err != nil || !sameFile(got, fi) {
		r.Close()
		return nil, fmt.Errorf("directory %s was replaced: %w", name, ErrSourceChanged)
	}
	return &dirHandle{r}, nil
}

// openDir opens the directory rel (slash-separated, relative to the spec
// directory, "" for itself), one component at a time, never through a
// symlink.
func (c *collector) openDir(rel string) (*dirHandle, error) {
	r, err := c.src.OpenRoot(".")
	if err != nil {
		return nil, fmt.Errorf("spec dir: %w", err)
	}
	d := &dirHandle{r}
	for _, comp := range strings.Split(rel, "/") {
		if comp == "" {
			continue
		}
		fi, err := d.lstat(comp)
		var next *dirHandle
		if err == nil {
			next, err = d.sub(comp, fi)
		}
		d.Close()
		if err != nil {
			return nil, fmt.Errorf("src %s: %w", rel, err)
		}
		d = next
	}
	return d, nil
}

// lstat returns the Lstat of rel (relative to the spec directory), reached
// without following symlinks.
func (c *collector) lstat(rel string) (fs.FileInfo, error) {
	if rel == "" {
		return c.src.Stat(".")
	}
	d, err := c.openDir(parent(rel))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	fi, err := d.lstat(base(rel))
	if err != nil {
		return nil, fmt.Errorf("src: %w", err)
	}
	return fi, nil
}

// relative returns the real path p (within the spec directory) relative to
// it, slash-separated, "" for the directory itself.
func (c *collector) relative(p string) string {
	rel, err := filepath.Rel(c.root, p)
	if err != nil || rel == "." {
		return ""
	}
	return filepath.ToSlash(rel)
}

// srcFile is a regular file as the walk saw it, to be opened again when its
// content is written.
type srcFile struct {
	root     *os.Root // the spec directory
	dir      *os.File // the same, as a directory file (openat2)
	rel      string   // path below it, no symlinks when walked
	dev, ino uint64
	size     int64
}

// walked returns the srcFile of rel, seen as fi.
func (c *collector) walked(rel string, fi fs.FileInfo) *srcFile {
	dev, ino := devIno(fi)
	return &srcFile{root: c.src, dir: c.srcDir, rel: rel, dev: dev, ino: ino, size: fi.Size()}
}

// open opens the file again beneath the spec directory (openBeneath),
// without blocking on a FIFO that took its place, and checks that it is the
// file the walk saw.
func (s *srcFile) open() (*os.File, error) {
	f, err := openBeneath(s.dir, s.root, s.rel)
	if err != nil {
		return nil, fmt.Errorf("open again: %w: %w", err, ErrSourceChanged)
	}
	fi, err := f.Stat()
	if err == nil {
		dev, ino := devIno(fi)
		if !fi.Mode().IsRegular() || dev != s.dev || ino != s.ino || fi.Size() != s.size {
			err = fmt.Errorf("not the file the walk saw (device, inode or size differ): %w", ErrSourceChanged)
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// openInRoot opens rel through root, never leaving it, not following a
// final symlink and not blocking on a FIFO.
func openInRoot(root *os.Root, rel string) (*os.File, error) {
	return root.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
}

// sameFile reports whether a and b have the same device and inode.
func sameFile(a, b fs.FileInfo) bool {
	da, ia := devIno(a)
	db, ib := devIno(b)
	return da == db && ia == ib && ia != 0
}

// devIno returns fi's device and inode (zero without stat data).
func devIno(fi fs.FileInfo) (dev, ino uint64) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0
	}
	return uint64(st.Dev), uint64(st.Ino)
}

// realPaths returns the paths of Options.Skip absolute, with their parent
// directory's symlinks resolved (the paths themselves may not exist yet).
func realPaths(paths []string) []string {
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			continue
		}
		dir, name := filepath.Split(abs)
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			dir = real
		}
		out = append(out, filepath.Join(dir, name))
	}
	return out
}

// skipped reports whether the real path p is one of ybuild's own (see
// Options.Skip): equal to a skip path, or, for a skip path ending in "*",
// in the same directory with a name starting with the rest.
func (c *collector) skipped(p string) bool {
	for _, s := range c.skip {
		prefix, pattern := strings.CutSuffix(s, "*")
		if p == s || (pattern && filepath.Dir(p) == filepath.Dir(prefix) &&
			strings.HasPrefix(filepath.Base(p), filepath.Base(prefix))) {
			return true
		}
	}
	return false
}
