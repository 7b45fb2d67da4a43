package depfile

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/ybuild/ybuild/location"
	"github.com/ybuild/ybuild/spec"
)

// Inputs lists the files and directories that builds (one spec, once per
// platform: sources may depend on TARGETARCH) read, sorted and unique.
// skip lists ybuild's own paths, which the build never reads and which
// are not listed (nor anything under them): its outputs and work
// directory, which a glob's base or a copied directory may hold and which
// change (or vanish) with every build, so make would rebuild every time.
// A skip path ending in "*" stands for every name in its directory that
// starts with the rest, as in assemble.Options.Skip.
func Inputs(ctx context.Context, builds []*spec.Build, skip []string) ([]string, error) {
	set := inputSet{files: map[string]bool{}, skip: skip}
	for _, b := range builds {
		baseInputs(b, set.files)
		for _, l := range b.Layers {
			for _, f := range l.Files {
				if f.Src == "" {
					continue
				}
				if err := set.src(ctx, b.Dir, f.Src); err != nil {
					return nil, err
				}
			}
		}
	}
	out := make([]string, 0, len(set.files))
	for p := range set.files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

// baseInputs adds a local base's index and layout marker, or its archive.
func baseInputs(b *spec.Build, set map[string]bool) {
	l, err := location.Parse(b.Base, location.Base)
	if err != nil || !l.Local() {
		return
	}
	p := l.Abs(b.Dir).Path
	if l.Kind == location.OCI {
		set[filepath.Join(p, "index.json")] = true
		set[filepath.Join(p, "oci-layout")] = true
		return
	}
	set[p] = true
}

// inputSet is the set of inputs being listed, and the paths never listed.
type inputSet struct {
	files map[string]bool
	skip  []string
}

// src adds a src: a file, a directory tree or a glob's matches and the
// directories under its base.
func (set inputSet) src(ctx context.Context, dir, src string) error {
	if !strings.ContainsAny(src, "*?[{\\") {
		return set.walk(ctx, filepath.Join(dir, src), false)
	}
	base, pat := doublestar.SplitPattern(filepath.ToSlash(src))
	root := filepath.Join(dir, base)
	matches, err := doublestar.Glob(os.DirFS(root), pat, doublestar.WithNoFollow())
	if err != nil {
		return fmt.Errorf("glob %q: %w", src, err)
	}
	for _, m := range matches {
		if err := set.walk(ctx, filepath.Join(root, filepath.FromSlash(m)), false); err != nil {
			return err
		}
	}
	return set.walk(ctx, root, true)
}

// walk adds p and, for a directory, everything under it (only directories
// when dirsOnly), but for skipped paths. Symbolic links are listed, not
// followed.
func (set inputSet) walk(ctx context.Context, p string, dirsOnly bool) error {
	return filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if set.skipped(q) {
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("source %s: %w", q, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !dirsOnly || d.IsDir() {
			set.files[q] = true
		}
		return nil
	})
}

// skipped reports whether p is one of the skip paths or, for one ending in
// "*", in its directory with a name starting with the rest.
func (set inputSet) skipped(p string) bool {
	for _, s := range set.skip {
		prefix, pattern := strings.CutSuffix(s, "*")
		if p == s || pattern && filepath.Dir(p) == filepath.Dir(prefix) &&
			strings.HasPrefix(filepath.Base(p), filepath.Base(prefix)) {
			return true
		}
	}
	return false
}
