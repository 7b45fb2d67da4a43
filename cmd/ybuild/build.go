package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/internal/filelock"
	"github.com/ybuild/ybuild/internal/trust"
	"github.com/ybuild/ybuild/location"
	"github.com/ybuild/ybuild/lock"
	"github.com/ybuild/ybuild/output"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/remotecache"
	"github.com/ybuild/ybuild/resolve"
	"github.com/ybuild/ybuild/sign"
	"github.com/ybuild/ybuild/spec"
)

// buildOptions are the flags of `ybuild build`.
type buildOptions struct {
	files     []string
	outputs   []string
	tags      []string
	args      []string
	platforms []string
	progress  string
	json      bool
	noCache   bool
	registry  *registryFlags
	flow      flowOptions
	supply    supplyFlags

	verifyBlobs    bool               // --verify-blobs
	cacheRepo      string             // --cache-repo
	cacheSignKey   string             // --cache-sign-key
	cacheTrustKeys []string           // --cache-trust-key
	trust          *trust.Store       // records of verified blobs, set by newBuildEnv
	shared         *remotecache.Cache // the --cache-repo cache, set by newBuildEnv
}

// addBuildFlags registers the build flags on cmd.
func addBuildFlags(cmd *cobra.Command, o *buildOptions) {
	fs := cmd.Flags()
	fs.StringArrayVarP(&o.files, "file", "f", []string{"build.yaml"}, "the spec to build; repeatable (specs may also be given as arguments)")
	fs.StringArrayVarP(&o.outputs, "output", "o", nil, "where to write the image ("+location.Syntax(location.Output)+"); replaces the spec's outputs; repeatable")
	fs.StringArrayVarP(&o.tags, "tag", "t", nil, "image tag; replaces the spec's tags; repeatable")
	fs.StringArrayVar(&o.args, "arg", nil, "set a spec argument, NAME=VALUE; repeatable")
	fs.StringSliceVar(&o.platforms, "platform", nil, "platforms to build (os/arch[/variant], comma-separated or repeated); replaces the spec's")
	fs.StringVar(&o.progress, "progress", "auto", "progress output: auto, plain or quiet")
	fs.BoolVar(&o.json, "json", false, "print the result as JSON")
	fs.BoolVar(&o.noCache, "no-cache", false, "write every layer again instead of reusing unchanged layers from the cache")
	if o.registry == nil {
		o.registry = &registryFlags{}
	}
	addRegistryFlags(fs, o.registry)
	addPushFlags(fs, o.registry)
	addFlowFlags(fs, &o.flow)
	addSupplyFlags(fs, &o.supply)
	addSpeedFlags(fs, o)
}

// runBuild builds every spec named by -f and the arguments: one with the
// usual output, several concurrently (runMany).
func runBuild(ctx context.Context, o *buildOptions, files []string, stdout, stderr io.Writer) error {
	env, err := newBuildEnv(o, stderr)
	if err != nil {
		return err
	}
	defer flushTrust(o.trust) // after the work directories are removed (deferred later)
	if len(files) > 1 {
		return runMany(ctx, o, files, env, stdout)
	}
	b, err := prepareSpec(files[0], o.args, o.tags)
	if err == nil {
		err = checkDepTarget(o, []*spec.Build{b}, env)
	}
	if err != nil {
		return err // bad input: nothing built, no metadata file
	}
	warnUnusedArgs(env.stderr, []*spec.Build{b}, o.args)
	r, err := buildSpec(ctx, o, files[0], b, env)
	defer r.close()
	r.err = err
	if ferr := writeSideFiles(o, []*specResult{r}, err); ferr != nil && err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	if o.flow.dryRun {
		return printPlan(stdout, r.plan, o.json)
	}
	return printResults(stdout, r.results, o.json)
}

// buildEnv is what the specs of one call share.
type buildEnv struct {
	reg    *registry.Options
	prog   resolve.Progress
	stderr io.Writer
	bases  *baseMemo
	// signer signs images and attestations (--sign-key), or nil.
	signer *sign.Signer
}

// newBuildEnv reads the progress and registry flags.
func newBuildEnv(o *buildOptions, stderr io.Writer) (*buildEnv, error) {
	stderr = &syncWriter{w: stderr} // the specs and background work write at once
	prog, err := newProgress(o.progress, stderr)
	if err != nil {
		return nil, err
	}
	reg := o.registry.options()
	if o.registry.cache() == "" && !o.noCache {
		fmt.Fprintln(stderr, "ybuild: no cache directory (set --cache-dir, XDG_CACHE_HOME or HOME): building without the layer and blob cache")
	}
	o.trust = newTrust(o)
	if o.shared, err = newShared(o, reg, stderr); err != nil {
		return nil, err
	}
	env := &buildEnv{reg: reg, prog: prog, stderr: stderr, bases: newBaseMemo()}
	if o.supply.signKey != "" {
		if env.signer, err = loadSigner(o.supply.signKey); err != nil {
			return nil, err
		}
	}
	return env, nil
}

// specResult is what building one spec gave, also when it failed part way.
type specResult struct {
	file    string
	spec    *spec.Build
	pin     *lock.Lock
	base    *resolve.Base
	img     *assemble.Image
	results []output.Result
	// attached holds, for each result, what was stored with the image.
	attached [][]attachmentMetadata
	plan     *buildPlan
	err      error
	cleanup  func()
	// outPaths are the absolute paths of the local outputs.
	outPaths []string
	// inputs are what the build read, for --depfile.
	inputs []string
	// own are the build's own paths (ownPaths), never listed as inputs.
	own []string
}

// buildSpec loads one spec (unless b is already loaded), resolves its base (through its lock),
// assembles it and writes its outputs (or, with --dry-run, plans them).
// The caller calls r.close when done with r.img.
func buildSpec(ctx context.Context, o *buildOptions, file string, b *spec.Build, env *buildEnv) (*specResult, error) {
	r := &specResult{file: file, spec: b}
	if b == nil {
		var err error
		if b, err = prepareSpec(file, o.args, o.tags); err != nil {
			return r, err
		}
		r.spec = b
	}
	plats, all, err := selectPlatforms(b, o.platforms)
	if err != nil {
		return r, err
	}
	if r.pin, err = applyLock(b, file, o.flow.locked, plats, all, len(o.platforms) > 0, env.stderr); err != nil {
		return r, err
	}
	var writers []output.Writer
	if !o.flow.assembleOnly {
		if writers, err = outputWriters(b, o, env.reg, env.prog); err != nil {
			return r, err
		}
		for _, w := range writers {
			if p := w.Holds().Path; p != "" {
				r.outPaths = append(r.outPaths, p)
			}
		}
		if err := checkOutputs(writers); err != nil {
			return r, err
		}
		if !o.flow.dryRun {
			reclaimStale(ctx, writers, o.registry.cache())
		}
	}
	if err := assembleImage(ctx, r, o, env, writers); err != nil || o.flow.assembleOnly {
		return r, err
	}
	if err := listInputs(o, r); err != nil {
		return r, err
	}
	if o.flow.dryRun {
		r.plan, err = planOutputs(ctx, r, writers, env.reg)
		return r, err
	}
	sup, err := buildSupply(ctx, r, o, env)
	if err != nil {
		return r, err
	}
	for _, w := range writers {
		res, atts, err := sup.write(ctx, w, r.img, env.stderr)
		if err != nil {
			return r, fmt.Errorf("write %w", err) // output errors start with the destination
		}
		r.results, r.attached = append(r.results, res), append(r.attached, atts)
	}
	pushShared(ctx, o.shared, writers)
	return r, nil
}

// close removes the work directory of r's build.
func (r *specResult) close() {
	if r != nil && r.cleanup != nil {
		r.cleanup()
		r.cleanup = nil
	}
}

// assembleImage resolves the base (once per call for each distinct base)
// and builds the image into a work directory beside the first local output
// (the system temp directory for a dry run); cleanup removes the work
// directory.
func assembleImage(ctx context.Context, r *specResult, o *buildOptions, env *buildEnv, writers []output.Writer) error {
	b := r.spec
	plats, all, err := selectPlatforms(b, o.platforms)
	if err != nil {
		return err
	}
	created, err := createdTime(b.Created)
	if err != nil {
		return usageError{err}
	}
	base, err := env.bases.open(ctx, b.Base, resolve.Options{
		Dir: b.Dir, Platforms: plats, AllPlatforms: all, Registry: env.reg, CacheDir: o.registry.cache(), Progress: env.prog, Trust: o.trust,
	})
	if err != nil {
		return lockedBaseError(r.pin, r.file, placeBaseError(b, o.platforms, err)) // resolve names the base
	}
	r.base = base
	if err := checkPinned(r.pin, r.file, base); err != nil {
		return err
	}
	for _, w := range writers {
		if err := output.CheckPlatforms(w, basePlatforms(base)); err != nil {
			return err
		}
	}
	parent, made := "", []string(nil)
	if !o.flow.dryRun && !o.flow.assembleOnly {
		parent, made = workParent(writers)
	}
	held, err := filelock.MkdirTemp(parent, workPrefix+"*")
	if err != nil {
		removeEmpty(made)
		return fmt.Errorf("work directory: %w", err)
	}
	work := held.Path
	r.own = ownPaths(work, writers)
	r.cleanup = func() {
		os.RemoveAll(work)
		held.Close()      // locked until removed: other builds' sweeps leave it alone
		removeEmpty(made) // a failed build leaves no new directory behind
	}
	fetchFor := writers
	if o.flow.dryRun {
		fetchFor = nil // a plan downloads no layer
	}
	wait := prefetchBase(ctx, base, o.registry.cache(), env.reg, fetchFor) // the base pull overlaps layer writing
	r.img, err = assemble.Build(ctx, b, base, assemble.Options{
		Created:        created,
		BlobDir:        work,
		Progress:       env.prog,
		RecordFiles:    o.supply.wantSBOM(b),
		ForceIndex:     len(b.Platforms) > 0 && len(o.platforms) == 0,
		SingleManifest: len(o.platforms) == 1 && !all,
		LayerCacheDir:  layerCacheDir(o),
		Skip:           r.own,
		Trust:          o.trust,
		Shared:         sharedCache(o.shared),
		RemoteShared:   remoteShared(o, writers),
		Upload:         layerUploader(ctx, o, writers),
	})
	wait(err != nil)
	return err
}

// remoteShared reports whether layers under trusted signed records may be
// left in the cache repository: every output is a push to its registry,
// which mounts them.
func remoteShared(o *buildOptions, writers []output.Writer) bool {
	return o.shared != nil && !o.flow.dryRun && !o.flow.assembleOnly && output.PushesOnlyTo(writers, o.shared.Domain())
}

// layerUploader sends new layers to the first registry output while they
// are written; none for a dry run or the rebuild of ybuild verify (assembleOnly).
func layerUploader(ctx context.Context, o *buildOptions, writers []output.Writer) assemble.Uploader {
	if o.flow.dryRun || o.flow.assembleOnly {
		return nil
	}
	return output.Uploader(ctx, writers, time.Now)
}

// layerCacheDir is the layer cache: the blob cache directory, unless
// --no-cache.
func layerCacheDir(o *buildOptions) string {
	if o.noCache {
		return ""
	}
	return o.registry.cache()
}

// workParent picks a directory for the work area: beside the first local
// output (so layers can be hard-linked into it), else the system temp dir.
// It also returns the directories it created, deepest first.
func workParent(writers []output.Writer) (string, []string) {
	for _, w := range writers {
		path := w.Holds().Path
		if path == "" {
			continue
		}
		dir := filepath.Dir(path)
		var made []string
		for d := dir; filepath.Dir(d) != d; d = filepath.Dir(d) {
			if _, err := os.Lstat(d); err == nil {
				break
			}
			made = append(made, d)
		}
		if err := os.MkdirAll(dir, 0o755); err == nil {
			return dir, made
		}
		removeEmpty(made)
	}
	return "", nil
}

// removeEmpty removes the directories dirs, deepest first, that are still
// empty: those the outputs did not fill.
func removeEmpty(dirs []string) {
	for _, d := range dirs {
		if os.Remove(d) != nil {
			return
		}
	}
}

// prepareSpec loads a spec, applies -t and fills annotations set to auto.
// A bad -t value is a usage error naming the flag, not the spec.
func prepareSpec(file string, args, tags []string) (*spec.Build, error) {
	for _, t := range tags {
		if err := spec.CheckTag(t); err != nil {
			return nil, usageError{fmt.Errorf("-t/--tag: %w", err)}
		}
	}
	b, err := loadSpec(file, args)
	if err != nil {
		return nil, err
	}
	if len(tags) > 0 {
		b.Tags = tags
	}
	if err := fillAutoAnnotations(b); err != nil {
		return nil, err
	}
	return b, nil
}

// loadSpec reads the spec with --arg overrides.
func loadSpec(file string, args []string) (*spec.Build, error) {
	overrides := map[string]string{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, usageError{fmt.Errorf("--arg %q: expected NAME=VALUE", a)}
		}
		overrides[k] = v
	}
	return spec.Load(file, spec.LoadOptions{Args: overrides})
}

// basePlatforms lists the platforms of the base's selected images.
func basePlatforms(base *resolve.Base) []ocispec.Platform {
	out := make([]ocispec.Platform, 0, len(base.Images))
	for _, im := range base.Images {
		out = append(out, im.Platform)
	}
	return out
}
