package spec

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// layer checks layer i: its attributes, entries, deletes and replaces, and
// that no two entries write the same dst. A layer that failed to decode (a
// scalar where a mapping belongs, an unknown field) was reported: it is not
// also reported empty.
func (v *validator) layer(i int) {
	l := v.b.Layers[i]
	lp := indexPath("layers", i)
	if len(l.Files) == 0 && len(l.Delete) == 0 && len(l.Replace) == 0 && !v.skip(lp+".files") && !v.skip(lp) {
		v.fail(lp, "empty layer: give it files, delete or replace")
	}
	v.attrs(lp, l.Attrs)
	seen := map[string]string{}
	for j := range l.Files {
		fp := indexPath(lp+".files", j)
		v.file(fp, l.Files[j])
		v.duplicate(fp, l.Files[j], seen)
	}
	for j, p := range l.Delete {
		v.check(indexPath(lp+".delete", j), p, checkAbs)
	}
	for j, p := range l.Replace {
		v.check(indexPath(lp+".replace", j), p, checkAbs)
	}
}

// checkAbs checks an absolute image path.
func checkAbs(p string) error {
	_, err := CleanDst(p)
	return err
}

// duplicate reports an entry whose exact dst an earlier entry of the same
// layer already writes. Copies into a directory (dst ending in /) may
// share their dst.
func (v *validator) duplicate(fp string, f File, seen map[string]string) {
	dstPath := fp + ".dst"
	if v.skip(dstPath) || f.Dst == "" || (strings.HasSuffix(f.Dst, "/") && !f.Dir) {
		return
	}
	clean, err := CleanDst(f.Dst)
	if err != nil {
		return
	}
	if clean != "/" {
		clean = strings.TrimSuffix(clean, "/")
	}
	if first, dup := seen[clean]; dup {
		pos, _ := v.b.Position(first + ".dst")
		v.fail(dstPath, "duplicate dst %q in this layer (first at line %d)", clean, pos.Line)
		return
	}
	seen[clean] = fp
}

// file checks one entry. An entry that failed to decode and holds nothing
// (a scalar where a mapping belongs) was reported once: what it lacks is
// not reported again.
func (v *validator) file(fp string, f File) {
	if v.skip(fp) && f.Dst == "" && f.Src == "" && f.Content == nil && f.Symlink == "" && !f.Dir {
		return
	}
	v.kind(fp, f)
	if v.required(fp+".dst", f.Dst) {
		v.check(fp+".dst", f.Dst, checkAbs)
	}
	v.check(fp+".src", f.Src, checkSrc)
	if f.Src == "" && f.Extract {
		v.fail(fp+".extract", "only applies to src")
	}
	if f.Src == "" && len(f.Exclude) > 0 {
		v.fail(fp+".exclude", "only applies to src")
	}
	switch {
	case f.Dst == "" || strings.HasSuffix(f.Dst, "/") || v.skip(fp+".dst"):
	case f.Extract:
		v.fail(fp+".dst", "extract needs a directory dst ending in /, got %q", f.Dst)
	case isGlob(f.Src) && !v.skip(fp+".src"):
		// Also for one match: the spec must not change meaning when a
		// second file appears.
		v.fail(fp+".dst", "src %q is a glob, so dst must be a directory ending in /, got %q", f.Src, f.Dst)
	}
	for k, pat := range f.Exclude {
		v.check(indexPath(fp+".exclude", k), pat, checkPattern)
	}
	v.extractOptions(fp, f)
	v.check(fp+".mode", f.Mode, checkMode)
	if f.Mode != "" && f.Symlink != "" {
		v.fail(fp+".mode", "does not apply to a symlink")
	}
	v.attrs(fp, f.Attrs)
}

// kind checks that an entry is exactly one of src, content, symlink or dir.
func (v *validator) kind(fp string, f File) {
	var kinds []string
	if f.Src != "" || v.skip(fp+".src") {
		kinds = append(kinds, "src")
	}
	if f.Content != nil || v.skip(fp+".content") {
		kinds = append(kinds, "content")
	}
	if f.Symlink != "" || v.skip(fp+".symlink") {
		kinds = append(kinds, "symlink")
	}
	if f.Dir || v.skip(fp+".dir") {
		kinds = append(kinds, "dir: true")
	}
	switch {
	case len(kinds) == 0:
		v.fail(fp, "needs one of src, content, symlink or dir: true")
	case len(kinds) > 1:
		v.fail(fp, "has %s; an entry is exactly one of src, content, symlink or dir: true", strings.Join(kinds, " and "))
	}
}

// checkSrc checks a src path: relative, inside the spec directory, and a
// valid glob.
func checkSrc(s string) error {
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, `\`) || (len(s) > 1 && s[1] == ':') {
		return fmt.Errorf("must be relative to the spec directory, got %q", s)
	}
	if c := path.Clean(s); c == ".." || strings.HasPrefix(c, "../") {
		return fmt.Errorf("must not leave the spec directory, got %q", s)
	}
	if !doublestar.ValidatePattern(s) {
		return fmt.Errorf("invalid glob pattern %q", s)
	}
	return nil
}

// checkPattern checks an exclude pattern.
func checkPattern(s string) error {
	if !doublestar.ValidatePattern(s) {
		return fmt.Errorf("invalid glob pattern %q", s)
	}
	if strings.HasPrefix(s, "/") {
		return errors.New("must be relative to src, got " + fmt.Sprintf("%q", s))
	}
	return nil
}

// written reports a field that is written in the spec but holds nothing
// (null, ""), which would silently do nothing.
func (v *validator) written(path string, set bool, msg string) {
	if _, ok := v.b.notes.pos(path); ok && !set && !v.skip(path) {
		v.fail(path, "%s", msg)
	}
}

// config checks the image config overrides.
func (v *validator) config() {
	c := v.b.Config
	for i, p := range c.Ports {
		v.check(indexPath("config.ports", i), p, checkPort)
	}
	for i, p := range c.Volumes {
		v.check(indexPath("config.volumes", i), p, checkAbs)
	}
	v.written("config.entrypoint", c.Entrypoint != nil, "null would keep the base's entrypoint: write [] to clear it, or leave entrypoint out")
	v.written("config.cmd", c.Cmd != nil, "null would keep the base's cmd: write [] to clear it, or leave cmd out")
	v.written("config.workdir", c.Workdir != "", "an empty workdir would keep the base's: write / for the root, or leave workdir out")
	v.check("config.stopSignal", c.StopSignal, checkSignal)
	v.check("config.user", c.User, checkUser)
	for _, kv := range c.Env {
		kp := keyPath("config.env", kv.Key)
		if kv.Key == "" || strings.Contains(kv.Key, "=") {
			if !v.skip(kp) {
				v.fail(kp, "env name must be non-empty and without =, got %q", kv.Key)
			}
		}
	}
	for _, kv := range c.Labels {
		v.key("config.labels", kv.Key)
	}
}

// checkUser checks user|uid[:group|gid]: no empty parts.
func checkUser(s string) error {
	u, g, hasGroup := strings.Cut(s, ":")
	if u == "" || (hasGroup && g == "") || strings.Contains(g, ":") {
		return fmt.Errorf("must be user, uid, user:group or uid:gid, got %q", s)
	}
	return nil
}
