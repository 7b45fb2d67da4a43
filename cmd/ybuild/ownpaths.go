package main

import (
	"path/filepath"

	"github.com/ybuild/ybuild/output"
)

// ownPaths are the files of this build that a copied source must never
// take in (assemble.Options.Skip): the work directory and the work
// directories of other builds beside it, and every local output with the
// temporary files and directories written beside it. Without this an
// output inside a copied src (the default build/<name> with src: .) would
// go into the next build's layer.
func ownPaths(work string, writers []output.Writer) []string {
	out := []string{work, filepath.Join(filepath.Dir(work), ".ybuild-work-*")}
	for _, w := range writers {
		p := w.Holds().Path
		if p == "" {
			continue
		}
		out = append(out, p, filepath.Join(filepath.Dir(p), "."+filepath.Base(p)+".tmp-*"))
	}
	return out
}
