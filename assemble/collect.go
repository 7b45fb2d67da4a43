package assemble

import (
	"archive/tar"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ybuild/ybuild/spec"
)

// collector walks the sources of one layer into a list of entries.
type collector struct {
	ctx    context.Context
	env    layerEnv
	root   string   // real path of env.dir
	src    *os.Root // the spec directory, open while the layer is written
	srcDir *os.File // the same directory as a file, for openat2
	skip   []string // ybuild's own paths (Options.Skip), real
	spool  *spool   // extracted file contents
	es     []entry
}

// source is one spec entry being walked.
type source struct {
	origin   string   // "files[2]", for errors
	excludes []string // patterns relative to the src
	a        attrs
	// extract only: the limits and whether device nodes and FIFOs may be copied
	maxSize, maxEntries int64
	allowDevices        bool
}

// collect walks every source of l into an unsorted list of entries, in
// spec order. It reads metadata only, except for archives, whose regular
// files are spooled into sp. sd is the spec directory (openSpecDir); the
// entries read from it until the layer is written.
func collect(ctx context.Context, l spec.Layer, env layerEnv, sd *specDir, sp *spool) ([]entry, error) {
	c := &collector{ctx: ctx, env: env, root: sd.path, src: sd.root, srcDir: sd.dir, skip: realPaths(env.Skip), spool: sp}
	for i, f := range l.Files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a, err := resolveAttrs(f, l, env.Created)
		if err == nil {
			err = c.fileSpec(i, f, a)
		}
		if err != nil {
			return nil, &entryError{index: i, err: err}
		}
	}
	if err := c.whiteouts(l); err != nil {
		return nil, err
	}
	return c.es, nil
}

// specDir is the spec directory, open: its real path, a root that never
// leaves it, and the directory itself as a file.
type specDir struct {
	path string
	root *os.Root
	dir  *os.File
}

// openSpecDir resolves the spec directory dir and opens it.
func openSpecDir(dir string) (*specDir, error) {
	p, err := filepath.Abs(dir)
	if err == nil {
		p, err = filepath.EvalSymlinks(p)
	}
	if err != nil {
		return nil, fmt.Errorf("spec dir: %w", err)
	}
	r, err := os.OpenRoot(p)
	if err != nil {
		return nil, fmt.Errorf("spec dir: %w", err)
	}
	d, err := r.Open(".")
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("spec dir: %w", err)
	}
	return &specDir{path: p, root: r, dir: d}, nil
}

// close closes the spec directory.
func (sd *specDir) close() {
	sd.dir.Close()
	sd.root.Close()
}

// fileSpec walks one spec file entry.
func (c *collector) fileSpec(i int, f spec.File, a attrs) error {
	s := source{origin: fmt.Sprintf("files[%d]", i), excludes: f.Exclude, a: a, allowDevices: f.AllowDevices}
	s.maxSize, s.maxEntries = f.ExtractMax()
	dst, into, err := cleanDst(f.Dst)
	if err != nil {
		return err
	}
	switch {
	case f.Content != nil:
		return c.inline(s, dst, f.Content)
	case f.Symlink != "":
		return c.symlink(s, dst, f.Symlink)
	case f.Dir:
		return c.dir(s, dst)
	case f.Extract:
		return c.extract(s, f.Src, dst)
	case f.Src != "":
		return c.copySrc(s, f.Src, dst, into)
	}
	return fmt.Errorf("%s: no src, content, symlink or dir: %w", s.origin, ErrUnsupported)
}

// add appends an entry.
func (c *collector) add(e entry) { c.es = append(c.es, e) }

// inline adds a regular file with the given content.
func (c *collector) inline(s source, dst string, content *string) error {
	if dst == "" {
		return fmt.Errorf("content at /: %w", ErrInvalidPath)
	}
	c.add(entry{name: dst, kind: tar.TypeReg, meta: s.a.content(), size: int64(len(*content)),
		content: content, origin: s.origin + " content", prio: prioExplicit})
	return nil
}

// symlink adds a symbolic link to target, kept as written.
func (c *collector) symlink(s source, dst, target string) error {
	if dst == "" {
		return fmt.Errorf("symlink at /: %w", ErrInvalidPath)
	}
	c.add(entry{name: dst, kind: tar.TypeSymlink, meta: s.a.symlink(s.a.created), linkname: target,
		origin: s.origin + " symlink", prio: prioExplicit})
	return nil
}

// dir adds a directory.
func (c *collector) dir(s source, dst string) error {
	if dst == "" {
		return fmt.Errorf("dir at /: %w", ErrInvalidPath)
	}
	c.add(entry{name: dst, kind: tar.TypeDir, meta: s.a.namedDir(), origin: s.origin + " dir", prio: prioExplicit})
	return nil
}

// whiteouts adds a .wh.<name> file for every delete and, for every
// replace, the directory itself (see attrs.replaceDir; unless the spec adds
// it explicitly) holding an opaque marker.
func (c *collector) whiteouts(l spec.Layer) error {
	la, err := resolveAttrs(spec.File{}, l, c.env.Created)
	if err != nil {
		return fmt.Errorf("layer: %w", err)
	}
	for i, p := range l.Delete {
		n, _, err := cleanDst(p)
		if err == nil && n == "" {
			err = fmt.Errorf("cannot delete /: %w", ErrInvalidPath)
		}
		if err != nil {
			return fmt.Errorf("delete[%d]: %w", i, err)
		}
		c.whiteout(join(parent(n), whiteoutPrefix+base(n)), fmt.Sprintf("delete[%d]", i))
	}
	for i, p := range l.Replace {
		n, _, err := cleanDst(p)
		if err != nil {
			return fmt.Errorf("replace[%d]: %w", i, err)
		}
		origin := fmt.Sprintf("replace[%d]", i)
		if n != "" {
			d, ok := c.env.baseDirs[n]
			c.add(entry{name: n, kind: tar.TypeDir, meta: la.replaceDir(d, ok), origin: origin, prio: prioReplace})
		}
		c.whiteout(join(n, opaqueMarker), origin)
	}
	return nil
}

// whiteout adds an empty whiteout or opaque marker file.
func (c *collector) whiteout(name, origin string) {
	c.add(entry{name: name, kind: tar.TypeReg, meta: whiteoutMeta(c.env.Created), origin: origin, prio: prioExplicit})
}

// cleanDst turns an absolute spec dst into an entry name ("" for the root)
// and whether it ends in "/" ("into this directory").
func cleanDst(dst string) (name string, into bool, err error) {
	clean, err := spec.CleanDst(dst)
	if err != nil {
		return "", false, fmt.Errorf("dst: %w: %w", err, ErrInvalidPath)
	}
	return strings.Trim(clean, "/"), strings.HasSuffix(clean, "/"), nil
}
