package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/output"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/resolve"
	"github.com/ybuild/ybuild/spec"
)

// namedWriter is one destination with its writer and, for local outputs, its path.
type namedWriter struct {
	dest   string
	path   string
	writer output.Writer
}

// outputWriters parses the destinations: -o flags (relative to the working
// directory) replace the spec's outputs (relative to the spec); --push adds
// one per tag; with none the default is oci:<specdir>/build/<name>.
func outputWriters(b *spec.Build, o *buildOptions, reg *registry.Options, prog resolve.Progress) ([]namedWriter, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("working directory: %w", err)
	}
	dests, dir := b.Outputs, b.Dir
	if len(o.outputs) > 0 {
		dests, dir = o.outputs, cwd
	}
	pushes := o.registry.pushOutputs(b.Tags)
	if o.registry.push && len(b.Tags) == 0 {
		return nil, usageError{errors.New("--push needs tags: set tags in the spec or pass -t")}
	}
	if len(dests) == 0 && len(pushes) == 0 {
		dests, dir = []string{"oci:" + filepath.Join("build", b.Name)}, b.Dir
	}
	var out []namedWriter
	add := func(d, dir string) error {
		w, err := output.Parse(d, output.Options{Dir: dir, Name: b.Name, Tags: b.Tags, Registry: reg, Progress: prog})
		if err != nil {
			return err
		}
		out = append(out, namedWriter{dest: d, path: localPath(d, dir), writer: w})
		return nil
	}
	for _, d := range dests {
		if err := add(d, dir); err != nil {
			return nil, err
		}
	}
	for _, d := range pushes {
		if err := add(d, cwd); err != nil {
			return nil, err
		}
	}
	return out, checkOffline(out, reg)
}

// checkOffline refuses registry outputs with --offline before anything is
// built: a push cannot be done from the cache.
func checkOffline(out []namedWriter, reg *registry.Options) error {
	if reg == nil || !reg.Offline {
		return nil
	}
	for _, w := range out {
		if strings.HasPrefix(w.dest, "docker://") {
			return usageError{fmt.Errorf("%s: --offline never contacts a registry, so it cannot push: drop --offline or write oci:, oci-archive: or docker-archive:", w.dest)}
		}
	}
	return nil
}

// localPath returns the absolute path of a local destination, or "".
func localPath(dest, dir string) string {
	for _, t := range []string{"oci:", "oci-archive:", "docker-archive:"} {
		if rest, ok := strings.CutPrefix(dest, t); ok {
			p, _, _ := strings.Cut(rest, ":")
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			return p
		}
	}
	return ""
}

// printResults writes one line per output, or one JSON object.
func printResults(w io.Writer, results []output.Result, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Outputs []output.Result `json:"outputs"`
		}{results})
	}
	for _, r := range results {
		line := r.Dest + " " + string(r.Digest)
		if strings.HasPrefix(r.Dest, "docker://") {
			line = r.Ref // REF@sha256:…
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}

// userInputErrors are the errors that the spec, its sources or the command
// line cause, which the user fixes (exit code 2).
var userInputErrors = []error{
	spec.ErrInvalid, output.ErrUsage,
	assemble.ErrEscape, assemble.ErrInvalidPath, assemble.ErrDuplicate, assemble.ErrNoMatch, assemble.ErrNotDir,
	assemble.ErrUnsupported, assemble.ErrBadAttr, assemble.ErrBadArchive, // a FIFO among the sources, a bzip2 or corrupt archive
	resolve.ErrInvalidBase, resolve.ErrNoMatchingPlatform, resolve.ErrAmbiguous, resolve.ErrUnsupported,
}

// isUserInputError reports errors caused by the spec, its sources or the
// command line.
func isUserInputError(err error) bool {
	for _, target := range userInputErrors {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}
