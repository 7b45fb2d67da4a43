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
func Inputs(ctx context.Context, builds []*spec.Build) ([]string, error) {
	set := map[string]bool{}
	for _, b := range builds {
		baseInputs(b, set)
		for _, l := range b.Layers {
			for _, f := range l.Files {
				if f.Src == "" {
					continue
				}
				if err := srcInputs(ctx, b.Dir, f.Src, set); err != nil {
					return nil, err
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
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

// srcInputs adds a src: a file, a directory tree or a glob's matches and
// the directories under its base.
func srcInputs(ctx context.Context, dir, src string, set map[string]bool) error {
	if !strings.ContainsAny(src, "*?[{\\") {
		return walk(ctx, filepath.Join(dir, src), set, false)
	}
	base, pat := doublestar.SplitPattern(filepath.ToSlash(src))
	root := filepath.Join(dir, base)
	matches, err := doublestar.Glob(os.DirFS(root), pat, doublestar.WithNoFollow())
	if err != nil {
		return fmt.Errorf("glob %q: %w", src, err)
	}
	for _, m := range matches {
		if err := walk(ctx, filepath.Join(root, filepath.FromSlash(m)), set, false); err != nil {
			return err
		}
	}
	return walk(ctx, root, set, true)
}

// walk adds p and, for a directory, everything under it (only directories
// when dirsOnly). Symbolic links are listed, not followed.
func walk(ctx context.Context, p string, set map[string]bool, dirsOnly bool) error {
	return filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("source %s: %w", q, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !dirsOnly || d.IsDir() {
			set[q] = true
		}
		return nil
	})
}
