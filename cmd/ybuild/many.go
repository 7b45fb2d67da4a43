package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"

	"github.com/ybuild/ybuild/output"
	"github.com/ybuild/ybuild/spec"
)

// maxDefaultJobs bounds the default number of specs built at once.
const maxDefaultJobs = 4

// runMany builds several specs at once with at most --jobs in flight,
// sharing the resolved bases and the caches. It prints one line per spec
// (in the order given) and fails naming every spec that failed: exit 1 if
// any build failed, 2 if every failure was a usage error.
func runMany(ctx context.Context, o *buildOptions, files []string, env *buildEnv, stdout io.Writer) error {
	if len(o.outputs) > 0 || o.registry.push && len(o.tags) > 0 {
		return usageError{fmt.Errorf("-o and --push with -t name one image: with %d specs, set outputs and tags in each spec", len(files))}
	}
	jobs := int(o.flow.jobs)
	if jobs <= 0 {
		jobs = min(runtime.GOMAXPROCS(0), maxDefaultJobs)
	}
	rs, ok := loadMany(o, files)
	if !ok {
		err := manyError(rs)
		printMany(stdout, env.stderr, rs, o)
		return err
	}
	specs := make([]*spec.Build, 0, len(rs))
	for _, r := range rs {
		specs = append(specs, r.spec)
	}
	if err := checkDepTarget(o, specs, env); err != nil {
		return err
	}
	if err := checkSameArchive(o, rs, env); err != nil {
		return err
	}
	warnUnusedArgs(env.stderr, specs, o.args)
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	for i, f := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				rs[i].err = ctx.Err()
				return
			}
			defer func() { <-sem }()
			r, err := buildSpec(ctx, o, f, rs[i].spec, env)
			r.err = err
			r.close()
			rs[i] = r
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		// Interrupted: exit 130, outputs not yet written left as they
		// were; the metadata file still records those that were.
		if ferr := writeSideFiles(o, rs, err); ferr != nil {
			fmt.Fprintf(env.stderr, "ybuild: %v\n", ferr)
		}
		return err
	}
	err := manyError(rs)
	if ferr := writeSideFiles(o, rs, err); ferr != nil && err == nil {
		err = ferr
	}
	if perr := printMany(stdout, env.stderr, rs, o); perr != nil && err == nil {
		err = perr
	}
	return err
}

// loadMany loads every spec before any is built: bad input stops the
// call with nothing written. ok is false when a spec failed to load.
func loadMany(o *buildOptions, files []string) ([]*specResult, bool) {
	rs := make([]*specResult, len(files))
	ok := true
	for i, f := range files {
		b, err := prepareSpec(f, o.args, o.tags)
		rs[i] = &specResult{file: f, spec: b, err: err}
		ok = ok && err == nil
	}
	return rs, ok
}

// manyError names the specs that failed, or is nil.
func manyError(rs []*specResult) error {
	var failed []string
	usage := true
	for _, r := range rs {
		if r.err != nil {
			failed = append(failed, r.file)
			usage = usage && exitCode(r.err) == exitUsage
		}
	}
	if len(failed) == 0 {
		return nil
	}
	err := fmt.Errorf("%d of %d specs failed: %s", len(failed), len(rs), strings.Join(failed, ", "))
	if usage {
		return usageError{err}
	}
	return err
}

// manyResult is one spec's entry in --json output.
type manyResult struct {
	Spec    string          `json:"spec"`
	Digest  string          `json:"digest,omitempty"`
	Outputs []output.Result `json:"outputs"`
	Error   string          `json:"error,omitempty"`
}

// printMany prints one line per spec: "SPEC DIGEST DEST…" on stdout, or
// "SPEC: error" on stderr.
func printMany(stdout, stderr io.Writer, rs []*specResult, o *buildOptions) error {
	if o.json {
		out := make([]manyResult, 0, len(rs))
		for _, r := range rs {
			mr := manyResult{Spec: r.file, Outputs: r.results}
			if mr.Outputs == nil {
				mr.Outputs = []output.Result{}
			}
			if r.img != nil && r.err == nil {
				mr.Digest = r.img.Desc.Digest.String()
			}
			if r.err != nil {
				mr.Error = r.err.Error()
			}
			out = append(out, mr)
		}
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Specs []manyResult `json:"specs"`
		}{out})
	}
	for _, r := range rs {
		if r.err != nil {
			err := r.err
			if !strings.HasPrefix(err.Error(), r.file) {
				err = fmt.Errorf("%s: %w", r.file, err)
			}
			fmt.Fprintln(stderr, formatError(err))
			continue
		}
		if r.img == nil {
			continue // not built: another spec failed to load
		}
		line := r.file + " " + r.img.Desc.Digest.String()
		if r.plan != nil {
			line += " (dry run)"
		}
		for _, res := range r.results {
			line += " " + res.Dest
		}
		if _, err := fmt.Fprintln(stdout, line); err != nil {
			return err
		}
	}
	return nil
}
