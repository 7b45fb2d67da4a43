package main

import (
	"fmt"

	"github.com/ybuild/ybuild/location"
	"github.com/ybuild/ybuild/output"
)

// checkOutputs fails before anything is built when a destination cannot
// be written (see output.Checker), or when two destinations write the same
// file or directory and the later would replace the earlier (only OCI
// layouts share a directory: each ref lands).
func checkOutputs(writers []output.Writer) error {
	seen := map[string]output.Holds{}
	for _, w := range writers {
		h := w.Holds()
		if first, dup := seen[h.Path]; dup && h.Path != "" && !(isLayout(first) && isLayout(h)) {
			return fmt.Errorf("%s: %w: %s also writes %s; give each output its own path", h.Dest, output.ErrUsage, first.Dest, h.Path)
		}
		if _, dup := seen[h.Path]; !dup {
			seen[h.Path] = h
		}
		if c, ok := w.(output.Checker); ok {
			if err := c.Check(); err != nil {
				return fmt.Errorf("write %w", err) // as runBuild words output errors
			}
		}
	}
	return nil
}

// isLayout reports whether h is an OCI layout directory.
func isLayout(h output.Holds) bool {
	l, err := location.Parse(h.Dest, location.Output)
	return err == nil && l.Kind == location.OCI
}
