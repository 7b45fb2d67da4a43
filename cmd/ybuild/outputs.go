package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ybuild/ybuild/internal/inputerr"
	"github.com/ybuild/ybuild/location"
	"github.com/ybuild/ybuild/output"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/resolve"
	"github.com/ybuild/ybuild/spec"
)

// outputWriters parses the destinations: -o flags (relative to the working
// directory) replace the spec's outputs (relative to the spec); --push adds
// one per tag; with none the default is oci:<specdir>/build/<name>.
func outputWriters(b *spec.Build, o *buildOptions, reg *registry.Options, prog resolve.Progress) ([]output.Writer, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("working directory: %w", err)
	}
	dests, dir, fromSpec := b.Outputs, b.Dir, true
	if len(o.outputs) > 0 {
		dests, dir, fromSpec = o.outputs, cwd, false
	}
	pushes := o.registry.pushOutputs(b.Tags)
	if o.registry.push && len(b.Tags) == 0 {
		return nil, usageError{errors.New("--push needs tags: set tags in the spec or pass -t")}
	}
	checkSpec := fromSpec
	if len(dests) == 0 && len(pushes) == 0 {
		def := location.Location{Kind: location.OCI, Path: filepath.Join("build", b.Name)}
		dests, dir, fromSpec, checkSpec = []string{def.String()}, b.Dir, false, true
	}
	var out []output.Writer
	add := func(d, dir string) error {
		w, err := output.Parse(d, output.Options{Dir: dir, Name: b.Name, Tags: b.Tags, Registry: reg, Progress: prog, ReferrersTag: o.supply.referrersTag, Trust: o.trust})
		if err != nil {
			return err
		}
		out = append(out, w)
		return nil
	}
	for _, d := range dests {
		if err := add(d, dir); err != nil {
			return nil, err
		}
	}
	if checkSpec {
		if err := checkSpecOutputs(b, out, cwd, fromSpec); err != nil {
			return nil, err
		}
	}
	for _, d := range pushes {
		if err := add(d, cwd); err != nil {
			return nil, err
		}
	}
	return out, nil
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
		if _, err := fmt.Fprintln(w, r.String()); err != nil {
			return err
		}
	}
	return nil
}

// isUserInputError reports errors caused by the spec, its sources or the
// command line: the libraries' sentinels of that kind all match
// inputerr.ErrInput.
func isUserInputError(err error) bool {
	var ue usageError
	return errors.As(err, &ue) || errors.Is(err, inputerr.ErrInput)
}
