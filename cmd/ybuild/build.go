package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/location"
	"github.com/ybuild/ybuild/output"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/resolve"
	"github.com/ybuild/ybuild/spec"
)

// buildOptions are the flags of `ybuild build`.
type buildOptions struct {
	file      string
	outputs   []string
	tags      []string
	args      []string
	platforms []string
	progress  string
	json      bool
	noCache   bool
	registry  *registryFlags
}

// addBuildFlags registers the build flags on cmd.
func addBuildFlags(cmd *cobra.Command, o *buildOptions) {
	fs := cmd.Flags()
	fs.StringVarP(&o.file, "file", "f", "build.yaml", "the spec to build")
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
}

// runBuild loads the spec, resolves the base, assembles and writes the outputs.
func runBuild(ctx context.Context, o *buildOptions, stdout, stderr io.Writer) error {
	b, err := loadSpec(o.file, o.args)
	if err != nil {
		return err
	}
	if len(o.tags) > 0 {
		b.Tags = o.tags
	}
	prog, err := newProgress(o.progress, stderr)
	if err != nil {
		return err
	}
	reg := o.registry.options()
	if o.registry.cache() == "" && !o.noCache {
		fmt.Fprintln(stderr, "ybuild: no cache directory (set --cache-dir, XDG_CACHE_HOME or HOME): building without the layer and blob cache")
	}
	writers, err := outputWriters(b, o, reg, prog)
	if err != nil {
		return err
	}
	img, cleanup, err := assembleImage(ctx, b, o, reg, prog, writers)
	if cleanup != nil {
		defer cleanup()
	}
	if err != nil {
		return err
	}
	results := make([]output.Result, 0, len(writers))
	for _, w := range writers {
		r, err := w.Write(ctx, img)
		if err != nil {
			return fmt.Errorf("write %w", err) // output errors start with the destination
		}
		results = append(results, r)
	}
	return printResults(stdout, results, o.json)
}

// assembleImage resolves the base and builds the image into a work directory
// beside the first local output; cleanup removes the work directory.
func assembleImage(ctx context.Context, b *spec.Build, o *buildOptions, reg *registry.Options, prog resolve.Progress, writers []output.Writer) (*assemble.Image, func(), error) {
	plats, all, err := selectPlatforms(b, o.platforms)
	if err != nil {
		return nil, nil, err
	}
	created, err := createdTime(b.Created)
	if err != nil {
		return nil, nil, usageError{err}
	}
	base, err := resolve.Open(ctx, b.Base, resolve.Options{
		Dir: b.Dir, Platforms: plats, AllPlatforms: all, Registry: reg, CacheDir: o.registry.cache(), Progress: prog,
	})
	if err != nil {
		return nil, nil, err // resolve names the base
	}
	for _, w := range writers {
		if err := output.CheckPlatforms(w, basePlatforms(base)); err != nil {
			return nil, nil, err
		}
	}
	parent, made := workParent(writers)
	work, err := os.MkdirTemp(parent, ".ybuild-work-")
	if err != nil {
		removeEmpty(made)
		return nil, nil, fmt.Errorf("work directory: %w", err)
	}
	cleanup := func() {
		os.RemoveAll(work)
		removeEmpty(made) // a failed build leaves no new directory behind
	}
	img, err := assemble.Build(ctx, b, base, assemble.Options{
		Created:        created,
		BlobDir:        work,
		Progress:       prog,
		ForceIndex:     len(b.Platforms) > 0 && len(o.platforms) == 0,
		SingleManifest: len(o.platforms) == 1 && !all,
		LayerCacheDir:  layerCacheDir(o),
	})
	return img, cleanup, err
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
