package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK    = 0
	exitBuild = 1
	exitUsage = 2
	// exitInterrupted is the shell's code for a process ended by SIGINT.
	exitInterrupted = 130
)

// usageError marks an error in the command line (exit code 2).
type usageError struct{ err error }

// Error returns the wrapped error's message.
func (e usageError) Error() string { return e.err.Error() }

// Unwrap returns the wrapped error.
func (e usageError) Unwrap() error { return e.err }

// run executes ybuild with args and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		// Outputs appear only whole, by rename: an interrupted build
		// leaves each one as it was (or absent).
		fmt.Fprintln(stderr, "ybuild: interrupted (context canceled); outputs not yet written are left as they were")
		return exitInterrupted
	}
	if ee := (silentExit{}); errors.As(err, &ee) {
		return ee.code // the command already said why
	}
	fmt.Fprintln(stderr, formatError(err))
	return exitCode(err)
}

// formatError renders err for the terminal: one line per problem.
func formatError(err error) string {
	msg := err.Error()
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		lines[i] = "ybuild: " + l
	}
	return strings.Join(lines, "\n")
}

// newRootCmd builds the command tree; `ybuild` alone runs a build.
func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	bo := &buildOptions{}
	root := &cobra.Command{
		Use:   "ybuild",
		Short: "Build reproducible container images from a build.yaml spec",
		Long: "ybuild turns a build.yaml spec into a container image with no daemon, no root\n" +
			"and no RUN steps: a base image, layers of local files and config overrides.",
		Example:       "  ybuild -f build.yaml\n  ybuild -f build.yaml -o oci-archive:app.tar --arg VERSION=1.2.3",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBuild(cmd.Context(), bo, bo.files, stdout, stderr)
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	addBuildFlags(root, bo)
	build := &cobra.Command{
		Use:     "build [SPEC...]",
		Short:   "Build the image described by a spec (the default command), or several specs at once",
		Example: "  ybuild build -f build.yaml --platform linux/arm64 -o docker-archive:app.tar\n  ybuild build services/*/build.yaml --jobs 4",
		Args:    cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBuild(cmd.Context(), bo, specFiles(cmd, bo, args), stdout, stderr)
		},
	}
	addBuildFlags(build, bo)
	root.AddCommand(build, newValidateCmd(stdout), newSchemaCmd(stdout), newInspectCmd(stdout), newSBOMCmd(stdout), newCacheCmd(stdout), newVersionCmd(stdout))
	root.AddCommand(flowCommands(stdout, stderr)...)
	markUsage(root)
	return root
}

// markUsage makes the argument and flag errors of cmd and its subcommands
// usage errors (exit code 2) and silences cobra's own printing.
func markUsage(cmd *cobra.Command) {
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	if check := cmd.Args; check != nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			if err := check(c, args); err != nil {
				return usageError{fmt.Errorf("%w (usage: %s)", err, c.UseLine())}
			}
			return nil
		}
	}
	for _, c := range cmd.Commands() {
		markUsage(c)
	}
}

// exitCode maps an error to the process exit code.
func exitCode(err error) int {
	if isUserInputError(err) {
		return exitUsage
	}
	return exitBuild
}
