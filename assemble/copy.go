package assemble

import (
	"archive/tar"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/bmatcuk/doublestar/v4"
)

// copySrc copies f.Src (a file, a directory or a glob) to dst following
// Dockerfile COPY: a directory's contents go into dst; a file goes to dst,
// or into it when dst ends in "/"; a glob copies each match into dst (files
// by base name, directories by contents) whatever dst ends with.
func (c *collector) copySrc(s source, src, dst string, into bool) error {
	if strings.ContainsAny(src, "*?[{\\") {
		return c.copyGlob(s, src, dst)
	}
	p, err := c.resolve(src)
	if err != nil {
		return err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("src: %w", err)
	}
	if fi.IsDir() {
		return c.copyTree(s, p, src, dst, "")
	}
	name := dst
	if into || dst == "" {
		name = join(dst, filepath.Base(src))
	}
	if c.excluded(s, filepath.Base(src)) {
		return nil
	}
	return c.addFile(s, p, src, name, fi)
}

// copyGlob copies every match of the pattern src into dst.
func (c *collector) copyGlob(s source, src, dst string) error {
	baseDir, pat := doublestar.SplitPattern(filepath.ToSlash(src))
	realBase, err := c.resolve(baseDir)
	if err != nil {
		return err
	}
	matches, err := doublestar.Glob(os.DirFS(realBase), pat, doublestar.WithNoFollow(), doublestar.WithFailOnIOErrors())
	if err != nil {
		return fmt.Errorf("glob %q: %w", src, err)
	}
	if len(matches) == 0 {
		return fmt.Errorf("glob %q: %w", src, ErrNoMatch)
	}
	for _, m := range matches {
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
	p, err := c.resolve(src)
	if err != nil {
		return err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("src: %w", err)
	}
	if fi.IsDir() {
		return c.copyTree(s, p, src, dst, rel+"/")
	}
	return c.addFile(s, p, src, join(dst, filepath.Base(p)), fi)
}

// copyTree copies the contents of the directory dir into dst. Symlinks stay
// symlinks; exclude patterns are matched against relPrefix + the path
// relative to dir.
func (c *collector) copyTree(s source, dir, src, dst, relPrefix string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("src: %w", err)
	}
	if dst != "" {
		c.add(entry{name: dst, kind: tar.TypeDir, meta: s.a.dir(fi.ModTime()), origin: s.origin + " " + src, prio: prioCopyDst})
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("walk %s: %w", src, err)
		}
		if p == dir {
			return nil
		}
		if err := c.ctx.Err(); err != nil {
			return err
		}
		rel := filepath.ToSlash(p[len(dir)+1:])
		if c.excluded(s, relPrefix+rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		return c.treeEntry(s, p, filepath.Join(src, rel), dst, rel)
	})
}

// treeEntry adds one file, directory or symlink found inside a copied tree.
func (c *collector) treeEntry(s source, p, src, dst, rel string) error {
	n, err := normalise(rel)
	if err != nil {
		return fmt.Errorf("src %s: %w", src, err)
	}
	fi, err := os.Lstat(p)
	if err != nil {
		return fmt.Errorf("src: %w", err)
	}
	name := join(dst, n)
	e := entry{name: name, origin: fmt.Sprintf("%s %q", s.origin, src), prio: prioExplicit}
	switch fi.Mode().Type() {
	case fs.ModeDir:
		e.kind, e.meta = tar.TypeDir, s.a.dir(fi.ModTime())
	case fs.ModeSymlink:
		if e.linkname, err = os.Readlink(p); err != nil {
			return fmt.Errorf("src: %w", err)
		}
		e.kind, e.meta = tar.TypeSymlink, s.a.symlink(fi.ModTime())
	case 0:
		return c.addFile(s, p, src, name, fi)
	default:
		return fmt.Errorf("src %s: file type %s: %w", src, fi.Mode().Type(), ErrUnsupported)
	}
	c.add(e)
	return nil
}

// addFile adds a regular file read from p; files with several links that
// end up with identical headers become hardlinks of each other.
func (c *collector) addFile(s source, p, src, name string, fi fs.FileInfo) error {
	e := entry{name: name, kind: tar.TypeReg, meta: s.a.file(fi.Mode().Perm(), fi.ModTime()), size: fi.Size(),
		src: p, srcID: fileIdentity(fi), origin: fmt.Sprintf("%s %q", s.origin, src), prio: prioExplicit}
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
