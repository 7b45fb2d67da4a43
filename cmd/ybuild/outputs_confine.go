package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/ybuild/ybuild/internal/inputerr"
	"github.com/ybuild/ybuild/location"
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

// checkSameArchive refuses, before anything is built, two specs of one
// call that write the same archive file: the one written last replaced
// the other, while stdout and the metadata file reported both. The same
// spec given twice writes the same image and is fine. (Specs that write
// one OCI layout each add their ref to it.)
func checkSameArchive(o *buildOptions, rs []*specResult, env *buildEnv) error {
	seen := map[string]string{} // archive (real path) → spec file (absolute)
	for _, r := range rs {
		ws, err := outputWriters(r.spec, o, env.reg, env.prog)
		if err != nil {
			continue // the build reports it
		}
		file, _ := filepath.Abs(r.file)
		for _, w := range ws {
			h := w.Holds()
			l, err := location.Parse(h.Dest, location.Output)
			if h.Path == "" || err != nil || l.Kind != location.OCIArchive && l.Kind != location.DockerArchive {
				continue
			}
			p, _ := filepath.Abs(h.Path)
			p = realPath(p)
			if prev, ok := seen[p]; ok && prev != file {
				return usageError{fmt.Errorf("%s and %s both write the archive %s: the one written last would replace the other", prev, file, p)}
			}
			seen[p] = file
		}
	}
	return nil
}
