package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/opencontainers/go-digest"
	"github.com/spf13/cobra"

	"github.com/ybuild/ybuild/imagediff"
	"github.com/ybuild/ybuild/resolve"
)

// compareOptions are the flags verify and diff share: the spec to rebuild
// and registry access.
type compareOptions struct {
	build  buildOptions
	asJSON bool
}

// addCompareFlags registers the spec and registry flags of verify and diff.
func addCompareFlags(cmd *cobra.Command, o *compareOptions) {
	fs := cmd.Flags()
	o.build.registry = &registryFlags{}
	fs.StringArrayVarP(&o.build.files, "file", "f", []string{"build.yaml"}, "the spec to rebuild")
	fs.StringArrayVar(&o.build.args, "arg", nil, "set a spec argument, NAME=VALUE; repeatable")
	fs.StringSliceVar(&o.build.platforms, "platform", nil, "platforms to build (replaces the spec's)")
	fs.StringArrayVarP(&o.build.tags, "tag", "t", nil, "image tag; replaces the spec's tags; repeatable")
	fs.BoolVar(&o.build.noCache, "no-cache", false, "write every layer again instead of reusing the layer cache")
	fs.BoolVar(&o.build.flow.locked, "locked", false, "require an up-to-date lockfile")
	addRegistryFlags(fs, o.build.registry)
	o.build.progress = "quiet"
	o.build.flow.assembleOnly = true
}

// newVerifyCmd rebuilds the spec and compares it with an existing image.
func newVerifyCmd(stdout, stderr io.Writer) *cobra.Command {
	o := &compareOptions{}
	cmd := &cobra.Command{
		Use:   "verify IMAGE",
		Short: "Rebuild the spec and check that IMAGE is byte-identical (exit 0), else name the first difference (exit 1)",
		Example: "  ybuild verify -f build.yaml docker://registry.example.com/app:1.2\n" +
			"  ybuild verify -f build.yaml oci:build/app",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerify(cmd.Context(), o, args[0], stdout, stderr)
		},
	}
	addCompareFlags(cmd, o)
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print the verdict as JSON")
	return cmd
}

// verdict is the --json shape of `ybuild verify`.
type verdict struct {
	Image string `json:"image"`
	Match bool   `json:"match"`
	// Digest is the image's digest, Built the spec's.
	Digest digest.Digest `json:"digest"`
	Built  digest.Digest `json:"built"`
	// First describes the first difference.
	First string `json:"first,omitempty"`
	// Platforms holds the differences found up to the first one.
	Platforms []imagediff.PlatformDiff `json:"platforms,omitempty"`
}

// printVerdict prints "match: IMAGE DIGEST" or "differ: …" with the first
// difference, or the verdict as JSON.
func printVerdict(w io.Writer, target string, rep *imagediff.Report, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(verdict{Image: target, Match: rep.Same, Digest: rep.DigestA, Built: rep.DigestB, First: rep.First(), Platforms: rep.Platforms})
	}
	if rep.Same {
		_, err := fmt.Fprintf(w, "match: %s %s\n", target, rep.DigestA)
		return err
	}
	_, err := fmt.Fprintf(w, "differ: %s is %s, the spec builds %s\n  first difference: %s\n", target, rep.DigestA, rep.DigestB, rep.First())
	return err
}

// runVerify rebuilds and compares.
func runVerify(ctx context.Context, o *compareOptions, target string, stdout, stderr io.Writer) error {
	built, cleanup, err := rebuild(ctx, &o.build, stderr)
	if cleanup != nil {
		defer cleanup()
	}
	if err != nil {
		return err
	}
	have, err := openImage(ctx, target, &o.build)
	if err != nil {
		return err
	}
	rep, err := imagediff.Compare(ctx, have, built, imagediff.Options{FirstOnly: true})
	if err != nil {
		return compareError(ctx, fmt.Errorf("verify %s: %w", target, err))
	}
	if err := printVerdict(stdout, target, rep, o.asJSON); err != nil || rep.Same {
		return err
	}
	return silentExit{1}
}

// rebuild builds the spec in a temporary directory, writing no output.
func rebuild(ctx context.Context, o *buildOptions, stderr io.Writer) (imagediff.Image, func(), error) {
	env, err := newBuildEnv(o, stderr)
	if err != nil {
		return imagediff.Image{}, nil, err
	}
	file := o.files[len(o.files)-1]
	r, err := buildSpec(ctx, o, file, nil, env)
	if err != nil {
		return imagediff.Image{}, r.close, err
	}
	im, err := imagediff.FromBuilt(file, r.img)
	return im, r.close, err
}

// openImage opens IMAGE (docker://REF, a bare registry reference, oci:,
// oci-archive:, docker-archive:) with every platform. An image that cannot
// be opened is a usage error (exit 2).
func openImage(ctx context.Context, loc string, o *buildOptions) (imagediff.Image, error) {
	reg := o.registry.options()
	cwd, err := os.Getwd()
	if err != nil {
		return imagediff.Image{}, err
	}
	b, err := resolve.Open(ctx, loc, resolve.Options{Dir: cwd, AllPlatforms: true, Registry: reg, CacheDir: o.registry.cache()})
	if err != nil {
		if ctx.Err() != nil {
			return imagediff.Image{}, err
		}
		return imagediff.Image{}, usageError{fmt.Errorf("open %s: %w", loc, err)}
	}
	return imagediff.FromBase(loc, b), nil
}

// compareError makes a failure to read an image being compared (a corrupt
// or unreadable layer) exit 2: exit 1 means "the images differ".
func compareError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return err
	}
	return usageError{err}
}
