package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flowOptions are the build flags for checked-in specs, make and CI:
// lockfiles, dry runs, metadata and dependency files, many specs at once.
type flowOptions struct {
	locked       bool
	dryRun       bool
	metadataFile string
	depfile      string
	jobs         count
	// assembleOnly builds into a temporary directory and writes no
	// output (verify and diff).
	assembleOnly bool
}

// addFlowFlags registers the flow flags on fs.
func addFlowFlags(fs *pflag.FlagSet, o *flowOptions) {
	fs.BoolVar(&o.locked, "locked", false, "require an up-to-date lockfile (SPEC.lock) and build from it; exit 2 when it is missing or does not match the spec")
	fs.BoolVar(&o.dryRun, "dry-run", false, "resolve and compute every layer, print what would be written or pushed, write nothing")
	fs.StringVar(&o.metadataFile, "metadata-file", "", "write a JSON document describing the build (outputs, digests, layers, base) to FILE")
	fs.StringVar(&o.depfile, "depfile", "", "write a Makefile dependency file (target: spec lockfile sources...) to FILE")
	fs.Var(&o.jobs, "jobs", "how many specs to build at once when several are given; 0 for the default: the number of CPUs, at most 4")
}

// specFiles returns the specs to build: -f (repeatable) and the arguments;
// the default build.yaml only when neither names one.
func specFiles(cmd *cobra.Command, o *buildOptions, args []string) []string {
	if len(args) == 0 {
		return o.files
	}
	if !cmd.Flags().Changed("file") {
		return args
	}
	return append(append([]string(nil), o.files...), args...)
}

// flowCommands are the lock, verify and diff subcommands.
func flowCommands(stdout, stderr io.Writer) []*cobra.Command {
	return []*cobra.Command{newLockCmd(stdout, stderr), newVerifyCmd(stdout, stderr), newDiffCmd(stdout, stderr)}
}

// silentExit ends the command with code after it printed its result
// (verify and diff exit 1 when the images differ).
type silentExit struct{ code int }

// Error describes the exit.
func (e silentExit) Error() string { return fmt.Sprintf("exit %d", e.code) }
