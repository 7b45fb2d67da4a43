package assemble

// This file is the one place where an entry's owner, permission bits and
// mtime are decided (like umoci's single header mapper): the cascade
// entry → layer → spec built-in defaults, the `mode:` override, the
// executable-bit rule, and what archives, whiteouts, implicit ancestors and
// replaced directories get. The walk, inline entries, archive extraction and
// the layer ask it through the constructors below and never set owner, mode
// or mtime themselves. A change to these rules changes layer bytes: bump
// layerCacheVersion (layer_cache_key.go) and the golden digests with it.

import (
	"archive/tar"
	"fmt"
	"io/fs"
	"time"

	"github.com/ybuild/ybuild/spec"
)

// meta is what this file decides for one entry: its owner, permission
// bits (with setuid, setgid and sticky) and mtime.
type meta struct {
	mode     uint32
	uid, gid int
	mtime    time.Time
}

// attrs are the resolved attributes of one spec entry, or of a layer for
// its replace directories.
type attrs struct {
	uid, gid int
	fileMode uint32 // fileMode, before the exec-bit rule
	dirMode  uint32
	mode     uint32 // absolute mode from `mode:`, if hasMode
	hasMode  bool
	preserve bool      // mtime: preserve
	mtime    time.Time // the fixed mtime unless preserve
	created  time.Time // the image's created time
}

// resolveAttrs resolves f's attributes, cascading entry → layer → spec's
// built-in defaults (spec.Load has usually done the cascade already).
// created is the image's created time, UTC, whole seconds.
func resolveAttrs(f spec.File, l spec.Layer, created time.Time) (attrs, error) {
	a := attrs{created: created}
	var err error
	if a.uid, a.gid, err = parseOwner(pick(f.Owner, l.Owner, spec.DefaultOwner)); err != nil {
		return a, err
	}
	if a.fileMode, err = parseMode(pick(f.FileMode, l.FileMode, spec.DefaultFileMode)); err != nil {
		return a, err
	}
	if a.dirMode, err = parseMode(pick(f.DirMode, l.DirMode, spec.DefaultDirMode)); err != nil {
		return a, err
	}
	if f.Mode != "" {
		a.hasMode = true
		if a.mode, err = parseMode(f.Mode); err != nil {
			return a, err
		}
	}
	a.preserve, a.mtime, err = parseMtime(pick(f.Mtime, l.Mtime, spec.DefaultMtime), created)
	return a, err
}

// file is a regular file copied from a source with the permission bits
// srcPerm and the mtime srcMtime: an absolute `mode` wins; otherwise
// fileMode, plus x wherever r is set when the source has any x bit.
// Nothing else of the source's mode (and so nothing of the umask) is used.
func (a attrs) file(srcPerm fs.FileMode, srcMtime time.Time) meta {
	mode := a.fileMode
	switch {
	case a.hasMode:
		mode = a.mode
	case srcPerm&0o111 != 0:
		mode |= (a.fileMode & 0o444) >> 2
	}
	return a.with(mode, srcMtime)
}

// content is a regular file with inline content: `mode`, else fileMode.
func (a attrs) content() meta {
	if a.hasMode {
		return a.with(a.mode, a.created)
	}
	return a.with(a.fileMode, a.created)
}

// namedDir is a directory the spec asks for (`dir: true`): `mode`, else dirMode.
func (a attrs) namedDir() meta {
	if a.hasMode {
		return a.with(a.mode, a.created)
	}
	return a.with(a.dirMode, a.created)
}

// dir is a directory found in a copied tree, or the dst of a directory
// copy or an extract, whose source has the mtime srcMtime: dirMode (`mode`
// is for files only).
func (a attrs) dir(srcMtime time.Time) meta {
	return a.with(a.dirMode, srcMtime)
}

// symlink is a symbolic link (srcMtime is the created time for one the spec
// writes): always 0777.
func (a attrs) symlink(srcMtime time.Time) meta {
	return a.with(0o777, srcMtime)
}

// archived is an entry of an extracted archive: the archive's permission
// bits (`mode` overrides regular files' bits; symlinks are 0777), the
// spec's owner, the archive's mtime only with `mtime: preserve`.
func (a attrs) archived(h *tar.Header) meta {
	mode := uint32(h.Mode) & 0o7777
	switch {
	case h.Typeflag == tar.TypeSymlink:
		mode = 0o777
	case a.hasMode && (h.Typeflag == tar.TypeReg || h.Typeflag == tar.TypeRegA):
		mode = a.mode
	}
	return a.with(mode, h.ModTime)
}

// replaceDir is a directory a layer replaces: the base's attributes when
// the base has it (so /tmp keeps 1777), else the layer's owner, dirMode
// and mtime.
func (a attrs) replaceDir(base dirAttrs, inBase bool) meta {
	if inBase {
		return meta{mode: base.Mode, uid: base.UID, gid: base.GID, mtime: base.Mtime}
	}
	return a.with(a.dirMode, a.created)
}

// with is a's owner with mode and, unless mtime is fixed, the source's
// mtime in whole seconds, UTC. Entries without a source pass the created
// time, so `mtime: preserve` gives them the created time.
func (a attrs) with(mode uint32, srcMtime time.Time) meta {
	m := meta{mode: mode, uid: a.uid, gid: a.gid, mtime: a.mtime}
	if a.preserve {
		m.mtime = srcMtime.UTC().Truncate(time.Second)
	}
	return m
}

// whiteoutMeta is a whiteout or opaque marker: 0:0, mode 0, the created time.
func whiteoutMeta(created time.Time) meta {
	return meta{mtime: created}
}

// ancestors returns the attributes of implicit ancestor directories on
// scratch: those the directory has in the layers below (earlier layers of
// the build, see stack.go), else def (ancestorMeta).
func ancestors(below map[string]meta, def meta) func(name string) meta {
	return func(name string) meta {
		if m, ok := below[name]; ok {
			return m
		}
		return def
	}
}

// ancestorMeta is an implicit ancestor directory on scratch that no layer
// below has: 0:0, the spec's defaults.dirMode (spec.DefaultDirMode when
// unset), the created time.
func ancestorMeta(defaultDirMode string, created time.Time) (meta, error) {
	mode, err := parseMode(pick(defaultDirMode, spec.DefaultDirMode))
	if err != nil {
		return meta{}, fmt.Errorf("default dir mode: %w", err)
	}
	return meta{mode: mode, mtime: created}, nil
}

// baseDirMeta is the attributes of a base directory read from its tar header.
func baseDirMeta(h *tar.Header) dirAttrs {
	return dirAttrs{Mode: uint32(h.Mode) & 0o7777, UID: h.Uid, GID: h.Gid, Mtime: h.ModTime.UTC()}
}

// pick returns the first non-empty string.
func pick(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// parseOwner parses a numeric "uid:gid".
func parseOwner(s string) (uid, gid int, err error) {
	if uid, gid, err = spec.ParseOwner(s); err != nil {
		return 0, 0, fmt.Errorf("owner: %w: %w", err, ErrBadAttr)
	}
	return uid, gid, nil
}

// parseMode parses an octal mode string ("0644", "4755") into Unix
// permission bits including setuid, setgid and sticky.
func parseMode(s string) (uint32, error) {
	m, err := spec.ParseMode(s)
	if err != nil {
		return 0, fmt.Errorf("mode: %w: %w", err, ErrBadAttr)
	}
	out := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		out |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		out |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		out |= 0o1000
	}
	return out, nil
}

// parseMtime parses "created", "preserve" or an RFC 3339 time.
func parseMtime(s string, created time.Time) (preserve bool, t time.Time, err error) {
	p, t, err := spec.ParseMtime(s)
	switch {
	case err != nil:
		return false, t, fmt.Errorf("mtime: %w: %w", err, ErrBadAttr)
	case p == spec.MtimePreserve:
		return true, t, nil
	case p == spec.MtimeCreated:
		return false, created, nil
	}
	return false, t, nil
}
