package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/ybuild/ybuild/internal/inputerr"
	"github.com/ybuild/ybuild/output"
	"github.com/ybuild/ybuild/spec"
)

// errOutputOutside is a spec's local output that leads out of both the
// working directory and the spec's directory: a spec from someone else
// must not replace or create files anywhere the user can write
// (~/.bashrc, ~/.ssh/authorized_keys). -o writes anywhere.
var errOutputOutside = inputerr.New("a spec's output must be inside the working directory or the spec's directory")

// checkSpecOutputs refuses the spec's local outputs (ws, made from
// b.Outputs, or the default build/<name> when fromSpec is false) that
// lead out of both cwd and b.Dir, through .., an absolute path or a
// symbolic link.
func checkSpecOutputs(b *spec.Build, ws []output.Writer, cwd string, fromSpec bool) error {
	roots := []string{realPath(cwd), realPath(b.Dir)}
	for i, w := range ws {
		p := w.Holds().Path
		if p == "" {
			continue
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return err
		}
		real := realPath(abs)
		if within(real, roots[0]) || within(real, roots[1]) {
			continue
		}
		err = fmt.Errorf("%w (write elsewhere with -o): %s leads to %s", errOutputOutside, w.Holds().Dest, real)
		if fromSpec {
			return b.FieldError(fmt.Sprintf("outputs[%d]", i), err)
		}
		return fmt.Errorf("%s: the default output: %w", b.File, err)
	}
	return nil
}

// realPath resolves the symbolic links of p, an absolute clean path, as
// far as it exists; the missing rest is joined as it is.
func realPath(p string) string {
	rest := ""
	for {
		real, err := filepath.EvalSymlinks(p)
		if err == nil {
			return filepath.Join(real, rest)
		}
		parent := filepath.Dir(p)
		if !errors.Is(err, fs.ErrNotExist) || parent == p {
			return filepath.Join(p, rest)
		}
		rest = filepath.Join(filepath.Base(p), rest)
		p = parent
	}
}

// within reports whether p is root or under it.
func within(p, root string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && filepath.IsLocal(rel) || rel == "."
}
