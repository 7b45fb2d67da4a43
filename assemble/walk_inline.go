package assemble

import (
	"archive/tar"
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/ybuild/ybuild/spec"
)

// collect walks every source of l into an unsorted list of entries, in
// spec order. It reads metadata only, except for archives, whose regular
// files are spooled into sp.
func collect(ctx context.Context, l spec.Layer, env LayerEnv, sp *spool) ([]entry, error) {
	root, err := filepath.Abs(env.Dir)
	if err == nil {
		root, err = filepath.EvalSymlinks(root)
	}
	if err != nil {
		return nil, fmt.Errorf("spec dir: %w", err)
	}
	c := &collector{ctx: ctx, env: env, root: root, spool: sp}
	for i, f := range l.Files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a, err := resolveAttrs(f, l, env.Created)
		if err == nil {
			err = c.fileSpec(i, f, a)
		}
		if err != nil {
			return nil, fmt.Errorf("files[%d]: %w", i, err)
		}
	}
	if err := c.whiteouts(l); err != nil {
		return nil, err
	}
	return c.es, nil
}

// inline adds a regular file with the given content.
func (c *collector) inline(s source, dst string, content *string) error {
	if dst == "" {
		return fmt.Errorf("content at /: %w", ErrInvalidPath)
	}
	mode := s.a.fileMode
	if s.a.hasMode {
		mode = s.a.mode
	}
	c.add(entry{name: dst, kind: tar.TypeReg, mode: mode, uid: s.a.uid, gid: s.a.gid,
		mtime: c.fixedMtime(s.a), size: int64(len(*content)), content: content,
		origin: s.origin + " content", prio: prioExplicit})
	return nil
}

// symlink adds a symbolic link to target, kept as written.
func (c *collector) symlink(s source, dst, target string) error {
	if dst == "" {
		return fmt.Errorf("symlink at /: %w", ErrInvalidPath)
	}
	c.add(entry{name: dst, kind: tar.TypeSymlink, mode: 0o777, linkname: target,
		uid: s.a.uid, gid: s.a.gid, mtime: c.fixedMtime(s.a),
		origin: s.origin + " symlink", prio: prioExplicit})
	return nil
}

// dir adds a directory.
func (c *collector) dir(s source, dst string) error {
	if dst == "" {
		return fmt.Errorf("dir at /: %w", ErrInvalidPath)
	}
	mode := s.a.dirMode
	if s.a.hasMode {
		mode = s.a.mode
	}
	c.add(entry{name: dst, kind: tar.TypeDir, mode: mode, uid: s.a.uid, gid: s.a.gid,
		mtime: c.fixedMtime(s.a), origin: s.origin + " dir", prio: prioExplicit})
	return nil
}

// whiteouts adds a .wh.<name> file for every delete and, for every
// replace, the directory itself (with the base's attributes when the base
// has it, else the layer's owner, dirMode and mtime; unless the spec adds it
// explicitly) holding an opaque marker.
// Whiteouts are empty regular files, 0:0, mode 0, with the created time.
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
			c.add(c.replaceDir(n, la, origin))
		}
		c.whiteout(join(n, opaqueMarker), origin)
	}
	return nil
}

// replaceDir is the entry of the opaque directory n: the base's
// attributes when known, else the layer's.
func (c *collector) replaceDir(n string, la attrs, origin string) entry {
	e := entry{name: n, kind: tar.TypeDir, mode: la.dirMode, uid: la.uid, gid: la.gid,
		mtime: c.fixedMtime(la), origin: origin, prio: prioReplace}
	if d, ok := c.env.BaseDirs[n]; ok {
		e.mode, e.uid, e.gid, e.mtime = d.Mode, d.UID, d.GID, d.Mtime
	}
	return e
}

// whiteout adds an empty whiteout or opaque marker file.
func (c *collector) whiteout(name, origin string) {
	c.add(entry{name: name, kind: tar.TypeReg, mtime: c.env.Created, origin: origin, prio: prioExplicit})
}

// fixedMtime is the mtime of an entry without a source: preserve means the
// created time.
func (c *collector) fixedMtime(a attrs) time.Time {
	if a.preserve {
		return c.env.Created
	}
	return a.mtime
}
