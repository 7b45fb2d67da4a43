package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	"github.com/spf13/cobra"

	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/resolve"
	"github.com/ybuild/ybuild/spec"
)

// errNoSBOM is returned when an image carries no SBOM.
var errNoSBOM = errors.New("no SBOM attached")

// newSBOMCmd prints the SBOM attached to an image.
func newSBOMCmd(stdout io.Writer) *cobra.Command {
	var platform string
	reg := &registryFlags{}
	cmd := &cobra.Command{
		Use:     "sbom DEST",
		Short:   "Print the SPDX SBOM attached to an image",
		Example: "  ybuild sbom oci:build/hello\n  ybuild sbom --platform linux/arm64 docker://registry.example.com/app:1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := writeSBOM(cmd.Context(), stdout, args[0], platform, reg.options(), reg.cache()); err != nil {
				return fmt.Errorf("sbom %s: %w", args[0], err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&platform, "platform", "", "the platform whose SBOM to print (os/arch[/variant]); needed when the image has several")
	addRegistryFlags(cmd.Flags(), reg)
	return cmd
}

// writeSBOM finds the platform manifest of the image at loc and copies the
// SBOM attached to it to w, verified while it streams.
func writeSBOM(ctx context.Context, w io.Writer, loc, platform string, reg *registry.Options, cacheDir string) error {
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	base, err := resolve.Open(ctx, loc, resolve.Options{Dir: cwd, AllPlatforms: true, Registry: reg, CacheDir: cacheDir})
	if err != nil {
		return err
	}
	m, err := pickManifest(base, platform)
	if err != nil {
		return err
	}
	found, err := findAttached(ctx, loc, base, reg, []digest.Digest{m}, true)
	if err != nil {
		return err
	}
	for _, a := range found {
		if a.Kind == "sbom" && a.Subject == m && a.Document != nil {
			rc, err := base.Blobs.Open(ctx, *a.Document)
			if err != nil {
				return err
			}
			defer rc.Close()
			_, err = io.Copy(w, rc)
			return err
		}
	}
	return fmt.Errorf("%s: %w", m, errNoSBOM)
}

// pickManifest returns the digest of the platform's manifest, or of the
// only one.
func pickManifest(base *resolve.Base, platform string) (digest.Digest, error) {
	if platform == "" {
		if len(base.Images) == 1 {
			return base.Images[0].Desc.Digest, nil
		}
		return "", usageError{fmt.Errorf("the image has %d platforms (%s): pass --platform", len(base.Images), platformNames(basePlatforms(base)))}
	}
	p, err := spec.ParsePlatform(platform)
	if err != nil {
		return "", usageError{fmt.Errorf("--platform: %w", err)}
	}
	match := platforms.OnlyStrict(p)
	for _, im := range base.Images {
		if match.Match(im.Platform) {
			return im.Desc.Digest, nil
		}
	}
	return "", usageError{fmt.Errorf("no %s image (it has %s)", platform, platformNames(basePlatforms(base)))}
}

// subjectsOf lists the top-level digest and each platform manifest's.
func subjectsOf(base *resolve.Base) []digest.Digest {
	out := []digest.Digest{base.Digest}
	for _, im := range base.Images {
		if im.Desc.Digest != base.Digest {
			out = append(out, im.Desc.Digest)
		}
	}
	return out
}

// printAttached writes the attachments section of inspect.
func printAttached(w io.Writer, list []attached) {
	if len(list) == 0 {
		return
	}
	fmt.Fprintf(w, "\nattached:\n")
	for _, a := range list {
		fmt.Fprintf(w, "  %-11s %s  to %s", a.Kind, a.Digest, a.Subject)
		if a.Tag != "" {
			fmt.Fprintf(w, "  (tag %s)", a.Tag)
		}
		fmt.Fprintln(w)
	}
}
