package main

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/ybuild/ybuild/resolve"
	"github.com/ybuild/ybuild/schema"
	"github.com/ybuild/ybuild/spec"
)

// newValidateCmd checks specs without building them.
func newValidateCmd(stdout io.Writer) *cobra.Command {
	var files, args []string
	cmd := &cobra.Command{
		Use:     "validate [SPEC...]",
		Short:   "Check specs: fields, values and sources, without building",
		Example: "  ybuild validate -f build.yaml\n  ybuild validate services/*/build.yaml",
		Args:    cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, specs []string) error {
			if len(specs) == 0 || cmd.Flags().Changed("file") {
				specs = append(files, specs...)
			}
			var errs []error
			var good []*spec.Build
			for _, file := range specs {
				b, err := validateSpec(file, args)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				good = append(good, b)
				if _, err := fmt.Fprintf(stdout, "%s: ok\n", file); err != nil {
					return err
				}
			}
			if len(errs) == 0 {
				warnUnusedArgs(cmd.ErrOrStderr(), good, args)
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().StringArrayVarP(&files, "file", "f", []string{"build.yaml"}, "the spec to check; repeatable (specs may also be given as arguments)")
	cmd.Flags().StringArrayVar(&args, "arg", nil, "set a spec argument, NAME=VALUE; repeatable")
	return cmd
}

// validateSpec loads one spec and checks it for each platform it builds,
// sources included.
func validateSpec(file string, args []string) (*spec.Build, error) {
	b, err := loadSpec(file, args)
	if err != nil {
		return nil, err
	}
	plats, _, err := selectPlatforms(b, nil)
	if err != nil {
		return nil, err
	}
	if len(plats) == 0 {
		plats = append(plats, resolve.DefaultPlatform)
	}
	for _, p := range plats {
		if _, err := b.ForPlatform(p); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// newSchemaCmd prints the JSON Schema of build.yaml.
func newSchemaCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:     "schema",
		Short:   "Print the JSON Schema of build.yaml",
		Example: "  ybuild schema > build.schema.json",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := stdout.Write(schema.JSON())
			return err
		},
	}
}

// newVersionCmd prints the version of ybuild and its Go toolchain.
func newVersionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(stdout, "ybuild %s (%s %s/%s)\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}

// version is the module version the binary was built from, or "devel".
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
