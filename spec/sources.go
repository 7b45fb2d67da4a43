package spec

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// checkSources checks that every src whose value is final exists inside
// the spec directory (also after following symlinks). Globs are matched
// with doublestar relative to b.Dir. Without a Dir nothing is checked.
func (b *Build) checkSources(e *errs) {
	if b.Dir == "" {
		return
	}
	v := &validator{b: b, e: e}
	root, err := filepath.EvalSymlinks(b.Dir)
	if err != nil {
		e.list = append(e.list, &Error{File: b.File, Msg: "spec directory: " + err.Error(), Err: err})
		return
	}
	for i, l := range b.Layers {
		for j, f := range l.Files {
			fp := indexPath(indexPath("layers", i)+".files", j)
			if f.Src == "" || v.skip(fp+".src") || checkSrc(f.Src) != nil {
				continue
			}
			v.source(root, fp, f)
		}
	}
}

// source checks the src of the entry at fp.
func (v *validator) source(root, fp string, f File) {
	src := path.Clean(f.Src)
	shown := filepath.Join(v.b.Dir, filepath.FromSlash(src))
	var matches []string
	if isGlob(src) {
		matches, _ = doublestar.Glob(os.DirFS(root), src)
		if len(matches) == 0 {
			v.fail(fp+".src", "no file matches %q in %s", f.Src, v.b.Dir)
			return
		}
	} else {
		matches = []string{src}
	}
	for _, m := range matches {
		if !v.sourceFile(root, fp, m, f, shown) {
			return
		}
	}
}

// sourceFile checks one source file m (relative to root) and reports
// whether it is usable.
func (v *validator) sourceFile(root, fp, m string, f File, shown string) bool {
	full := filepath.Join(root, filepath.FromSlash(m))
	if isGlob(f.Src) {
		shown = filepath.Join(v.b.Dir, filepath.FromSlash(m))
	}
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		v.failErr(fp+".src", err, "no such file: %s", shown)
		return false
	}
	if rel, err := filepath.Rel(root, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		v.fail(fp+".src", "%s leads outside the spec directory through a symlink", shown)
		return false
	}
	if !f.Extract {
		return true
	}
	if fi, err := os.Stat(real); err != nil || !fi.Mode().IsRegular() {
		v.fail(fp+".src", "extract needs an archive file, but %s is not a regular file", shown)
		return false
	}
	return true
}

// failErr is fail with an underlying cause.
func (v *validator) failErr(path string, cause error, format string, args ...any) {
	pos, _ := v.b.Position(path)
	v.e.list = append(v.e.list, &Error{File: v.e.file, Pos: pos, Path: v.b.shownPath(path), Msg: fmt.Sprintf(format, args...), Err: cause})
}

// isGlob reports whether a src holds glob syntax.
func isGlob(s string) bool {
	return strings.ContainsAny(s, "*?[{")
}
