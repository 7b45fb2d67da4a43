package assemble

import (
	"archive/tar"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/bmatcuk/doublestar/v4"
)

// copySrc copies f.Src (a file, a directory or a glob) to dst following
// Dockerfile COPY: a directory's contents go into dst; a file goes to dst,
// or into it when dst ends in "/"; a glob copies each match into dst (files
// by base name, directories by contents) whatever dst ends with. Anything
// else (a FIFO, a socket, a device) is refused.
//
// Only the src itself is resolved through symlinks (within the spec
// directory). Below it, every directory is opened one component at a time
// from the spec directory's handle, never through a symlink, and checked
// to be the one just listed (see walk.go); so is every file when its
// content is read.
func (c *collector) copySrc(s source, src, dst string, into bool) error {
	if strings.ContainsAny(src, "*?[{\\") {
		return c.copyGlob(s, src, dst)
	}
	rel, fi, err := c.statSrc(src)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return c.copyTree(s, rel, fi, src, dst, "")
	}
	name := dst
	if into || dst == "" {
		name = join(dst, filepath.Base(src))
	}
	if c.excluded(s, filepath.Base(src)) {
		return nil
	}
	return c.addFile(s, rel, src, name, fi)
}

// copyGlob copies every match of the pattern src into dst.
func (c *collector) copyGlob(s source, src, dst string) error {
	baseDir, pat := doublestar.SplitPattern(filepath.ToSlash(src))
	realBase, err := c.resolve(baseDir)
	if err != nil {
		return err
	}
	d, err := c.openDir(c.relative(realBase))
	if err != nil {
		return err
	}
	defer d.Close()
	matches, err := doublestar.Glob(d.FS(), pat, doublestar.WithNoFollow(), doublestar.WithFailOnIOErrors())
	if err != nil {
		return fmt.Errorf("glob %q: %w", src, err)
	}
	if len(matches) == 0 {
		return fmt.Errorf("glob %q: %w", src, ErrNoMatch)
	}
	for _, m := range matches {
		if c.skipped(filepath.Join(realBase, m)) {
			continue
		}
		if err := c.copyMatch(s, filepath.Join(baseDir, m), m, dst); err != nil {
			return err
		}
	}
	return nil
}

// copyMatch copies one glob match; rel is its path relative to the glob's base.
func (c *collector) copyMatch(s source, src, rel, dst string) error {
	if c.excluded(s, rel) {
		return nil
	}
	r, fi, err := c.statSrc(src)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return c.copyTree(s, r, fi, src, dst, rel+"/")
	}
	return c.addFile(s, r, src, join(dst, filepath.Base(r)), fi)
}

// statSrc resolves src (relative to the spec directory, symlinks followed
// within it) and returns its path relative to the spec directory and its
// Lstat, reached without following symlinks. It refuses anything but a
// regular file or a directory.
func (c *collector) statSrc(src string) (string, fs.FileInfo, error) {
	p, err := c.resolve(src)
	if err != nil {
		return "", nil, err
	}
	rel := c.relative(p)
	fi, err := c.lstat(rel)
	if err != nil {
		return "", nil, err
	}
	if t := fi.Mode().Type(); t != 0 && t != fs.ModeDir {
		return "", nil, fmt.Errorf("src %s: %s, not a regular file or directory: %w", src, fileTypeName(t), ErrUnsupported)
	}
	return rel, fi, nil
}

// copyTree copies the contents of the directory rel (fi its Lstat) into
// dst. Symlinks stay symlinks; exclude patterns are matched against
// relPrefix + the path relative to the directory; ybuild's own outputs and
// work directories are skipped (see Options.Skip).
func (c *collector) copyTree(s source, rel string, fi fs.FileInfo, src, dst, relPrefix string) error {
	d, err := c.openDir(rel)
	if err != nil {
		return err
	}
	defer d.Close()
	if dst != "" {
		c.add(entry{name: dst, kind: tar.TypeDir, meta: s.a.dir(fi.ModTime()), origin: s.origin + " " + src, prio: prioCopyDst})
	}
	return c.walkDir(treeWalk{s: s, base: rel, src: src, dst: dst, relPrefix: relPrefix}, d, "")
}

// treeWalk is one directory copy in progress.
type treeWalk struct {
	s         source
	base      string // the copied directory, relative to the spec directory
	src, dst  string
	relPrefix string
}

// walkDir adds the entries of the directory d, at sub below the copied
// directory, in name order, and walks its subdirectories.
func (c *collector) walkDir(w treeWalk, d *dirHandle, sub string) error {
	names, err := d.names()
	if err != nil {
		return fmt.Errorf("walk %s: %w", filepath.Join(w.src, sub), err)
	}
	for _, name := range names {
		if err := c.ctx.Err(); err != nil {
			return err
		}
		rel := join(sub, name)
		if c.excluded(w.s, w.relPrefix+rel) || c.skipped(filepath.Join(c.root, w.base, rel)) {
			continue
		}
		fi, err := d.lstat(name)
		if err != nil {
			return fmt.Errorf("walk %s: %w", filepath.Join(w.src, rel), err)
		}
		if err := c.treeEntry(w, d, name, rel, fi); err != nil {
			return err
		}
		if fi.IsDir() {
			sd, err := d.sub(name, fi)
			if err != nil {
				return fmt.Errorf("walk %s: %w", filepath.Join(w.src, rel), err)
			}
			err = c.walkDir(w, sd, rel)
			sd.Close()
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// treeEntry adds one file, directory or symlink found inside a copied tree.
func (c *collector) treeEntry(w treeWalk, d *dirHandle, name, rel string, fi fs.FileInfo) error {
	src := filepath.Join(w.src, rel)
	n, err := normalise(rel)
	if err != nil {
		return fmt.Errorf("src %s: %w", src, err)
	}
	dst := join(w.dst, n)
	e := entry{name: dst, origin: fmt.Sprintf("%s %q", w.s.origin, src), prio: prioExplicit}
	switch fi.Mode().Type() {
	case fs.ModeDir:
		e.kind, e.meta = tar.TypeDir, w.s.a.dir(fi.ModTime())
	case fs.ModeSymlink:
		if e.linkname, err = d.readlink(name); err != nil { // no longer the symlink listed
			return fmt.Errorf("src %s: %w: %w", src, err, ErrSourceChanged)
		}
		e.kind, e.meta = tar.TypeSymlink, w.s.a.symlink(fi.ModTime())
	case 0:
		return c.addFile(w.s, filepath.Join(w.base, rel), src, dst, fi)
	default:
		return fmt.Errorf("src %s: %s, not a regular file, directory or symlink: %w", src, fileTypeName(fi.Mode().Type()), ErrUnsupported)
	}
	c.add(e)
	return nil
}

// addFile adds the regular file rel (relative to the spec directory) that
// the walk saw as fi; files with several links that end up with identical
// headers become hardlinks of each other.
func (c *collector) addFile(s source, rel, src, name string, fi fs.FileInfo) error {
	e := entry{name: name, kind: tar.TypeReg, meta: s.a.file(fi.Mode().Perm(), fi.ModTime()), size: fi.Size(),
		src: filepath.Join(c.root, rel), srcID: fileIdentity(fi), from: c.walked(rel, fi),
		origin: fmt.Sprintf("%s %q", s.origin, src), prio: prioExplicit}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
		e.linkKey = fmt.Sprintf("ino:%d:%d", st.Dev, st.Ino)
	}
	c.add(e)
	return nil
}

// excluded reports whether rel (slash-separated, relative to the src)
// matches one of the exclude patterns.
func (c *collector) excluded(s source, rel string) bool {
	for _, pat := range s.excludes {
		if ok, _ := doublestar.Match(strings.TrimPrefix(pat, "./"), rel); ok {
			return true
		}
	}
	return false
}

// resolve returns the real path of src (relative to the spec directory),
// following symlinks, and refuses anything outside the spec directory.
func (c *collector) resolve(src string) (string, error) {
	if filepath.IsAbs(src) {
		return "", fmt.Errorf("src %q: absolute: %w", src, ErrEscape)
	}
	p := filepath.Join(c.root, src)
	if !within(c.root, p) {
		return "", fmt.Errorf("src %q: %w", src, ErrEscape)
	}
	real, err := filepath.EvalSymlinks(p)
	if errors.Is(err, syscall.EINVAL) { // a symlink that was not one any more when read
		return "", fmt.Errorf("src: %w: %w", err, ErrSourceChanged)
	}
	if err != nil {
		return "", fmt.Errorf("src: %w", err)
	}
	if !within(c.root, real) {
		return "", fmt.Errorf("src %q resolves to %s: %w", src, real, ErrEscape)
	}
	return real, nil
}

// within reports whether p is root or below it (both clean and absolute).
func within(root, p string) bool {
	return p == root || root == string(filepath.Separator) ||
		strings.HasPrefix(p, root+string(filepath.Separator))
}

// fileTypeName names a file type that cannot go into a layer.
func fileTypeName(t fs.FileMode) string {
	switch {
	case t&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case t&fs.ModeSocket != 0:
		return "a socket"
	case t&fs.ModeCharDevice != 0:
		return "a character device"
	case t&fs.ModeDevice != 0:
		return "a block device"
	case t&fs.ModeSymlink != 0:
		return "a symlink"
	}
	return "file type " + t.String()
}
