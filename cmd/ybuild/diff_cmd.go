package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/ybuild/ybuild/imagediff"
)

// newDiffCmd compares two images, or what a spec builds with an image.
func newDiffCmd(stdout, stderr io.Writer) *cobra.Command {
	o := &compareOptions{}
	cmd := &cobra.Command{
		Use:   "diff A B | diff -f build.yaml IMAGE",
		Short: "Show what differs between two images (config, layers, files), or what the spec would change in IMAGE",
		Example: "  ybuild diff oci:old oci:new\n  ybuild diff --json docker://reg.example.com/app:1 docker://reg.example.com/app:2\n" +
			"  ybuild diff -f build.yaml docker://reg.example.com/app:1   # what a push of this spec would change",
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			fromSpec := cmd.Flags().Changed("file")
			if fromSpec != (len(args) == 1) {
				return usageError{fmt.Errorf("diff takes two images, or -f SPEC and one image")}
			}
			return runDiff(cmd.Context(), o, args, fromSpec, stdout, stderr)
		},
	}
	addCompareFlags(cmd, o)
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print the differences as JSON")
	return cmd
}

// runDiff compares A (or IMAGE) with B (or the spec's build). It exits 1
// when they differ, like diff(1).
func runDiff(ctx context.Context, o *compareOptions, args []string, fromSpec bool, stdout, stderr io.Writer) error {
	a, err := openImage(ctx, args[0], &o.build)
	if err != nil {
		return err
	}
	var b imagediff.Image
	if fromSpec {
		var cleanup func()
		b, cleanup, err = rebuild(ctx, &o.build, stderr)
		if cleanup != nil {
			defer cleanup()
		}
	} else {
		b, err = openImage(ctx, args[1], &o.build)
	}
	if err != nil {
		return err
	}
	rep, err := imagediff.Compare(ctx, a, b, imagediff.Options{})
	if err != nil {
		return compareError(ctx, fmt.Errorf("diff: %w", err))
	}
	if o.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil || rep.Same {
		return err
	}
	return silentExit{1}
}
