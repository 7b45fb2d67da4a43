package assemble

import (
	"fmt"
	"io/fs"
	"time"

	"github.com/ybuild/ybuild/spec"
)

// attrs are the resolved attributes of one spec entry.
type attrs struct {
	uid, gid int
	fileMode uint32 // fileMode, before the exec-bit rule
	dirMode  uint32
	mode     uint32 // absolute mode from `mode:`, if hasMode
	hasMode  bool
	preserve bool      // mtime: preserve
	mtime    time.Time // the fixed mtime unless preserve
}

// resolveAttrs resolves f's attributes, cascading entry → layer → built-in
// defaults (spec.Load has usually done the cascade already).
func resolveAttrs(f spec.File, l spec.Layer, created time.Time) (attrs, error) {
	var a attrs
	var err error
	if a.uid, a.gid, err = parseOwner(pick(f.Owner, l.Owner, "0:0")); err != nil {
		return a, err
	}
	if a.fileMode, err = parseMode(pick(f.FileMode, l.FileMode, "0644")); err != nil {
		return a, err
	}
	if a.dirMode, err = parseMode(pick(f.DirMode, l.DirMode, "0755")); err != nil {
		return a, err
	}
	if f.Mode != "" {
		a.hasMode = true
		if a.mode, err = parseMode(f.Mode); err != nil {
			return a, err
		}
	}
	a.preserve, a.mtime, err = parseMtime(pick(f.Mtime, l.Mtime, "created"), created)
	return a, err
}

// fileModeFor applies the mode rule to a regular file whose source has the
// permission bits srcPerm: an absolute `mode` wins; otherwise fileMode, plus
// x wherever r is set when the source has any x bit. Nothing else of the
// source's mode (and so nothing of the umask) is used.
func (a attrs) fileModeFor(srcPerm fs.FileMode) uint32 {
	if a.hasMode {
		return a.mode
	}
	if srcPerm&0o111 != 0 {
		return a.fileMode | (a.fileMode&0o444)>>2
	}
	return a.fileMode
}

// mtimeFor returns the entry mtime given the source's mtime.
func (a attrs) mtimeFor(src time.Time) time.Time {
	if a.preserve {
		return src.UTC().Truncate(time.Second)
	}
	return a.mtime
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
