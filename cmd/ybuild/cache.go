package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ybuild/ybuild/cache"
)

// defaultPruneAge is how long `ybuild cache prune` keeps unused entries.
const defaultPruneAge = 30 * 24 * time.Hour

// newCacheCmd groups the cache subcommands.
func newCacheCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "Manage the cache of pulled base blobs and built layers",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newCachePruneCmd(stdout), newCacheVerifyCmd(stdout))
	return cmd
}

// newCachePruneCmd removes cache entries not used for a while.
func newCachePruneCmd(stdout io.Writer) *cobra.Command {
	var dir string
	var olderThan time.Duration
	var all bool
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Remove cached layers and blobs not used recently",
		Long: "Removes the layers not used within --older-than (default 720h, 30 days),\n" +
			"and the base blobs and references written before then that no remaining\n" +
			"layer needs, and, whatever their age, the partial files of killed builds.\n" +
			"Later builds rebuild or download what they need. Do not run it while builds\n" +
			"use the same cache.",
		Example: "  ybuild cache prune\n  ybuild cache prune --older-than 168h\n  ybuild cache prune --all",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if olderThan < 0 {
				return usageError{errors.New("--older-than must not be negative")}
			}
			if dir == "" {
				var err error
				if dir, err = defaultCacheDir(); err != nil {
					return usageError{err}
				}
			}
			cutoff := time.Now().Add(-olderThan)
			if all {
				cutoff = time.Now().Add(24 * time.Hour) // everything, even files written just now
			}
			swept, err := cache.Sweep(cmd.Context(), dir) // killed builds' partial files, whatever their age
			if err != nil {
				return err
			}
			st, err := cache.Prune(dir, cutoff)
			if err != nil {
				return err
			}
			st.Removed += swept.Removed
			st.RemovedBytes += swept.Bytes
			_, err = fmt.Fprintf(stdout, "%s: removed %d files (%s), kept %d (%s)\n",
				dir, st.Removed, humanBytes(st.RemovedBytes), st.Kept, humanBytes(st.KeptBytes))
			return err
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&dir, "cache-dir", "", "the cache directory (default $XDG_CACHE_HOME/ybuild, else ~/.cache/ybuild)")
	olderThan = defaultPruneAge
	fs.Var((*ageFlag)(&olderThan), "older-than", "remove entries not used for this long (Go duration: 168h, 90m)")
	fs.BoolVar(&all, "all", false, "remove everything")
	return cmd
}

// ageFlag is the value of --older-than: a Go duration, with a message that
// says so (and that a day is written 24h).
type ageFlag time.Duration

// String returns the duration.
func (a *ageFlag) String() string { return time.Duration(*a).String() }

// Set parses a Go duration.
func (a *ageFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err == nil {
		*a = ageFlag(d)
		return nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 {
			return fmt.Errorf("expected a Go duration such as 168h or 90m, got %q: Go durations have no day unit, write %dh", s, 24*n)
		}
	}
	return fmt.Errorf("expected a Go duration such as 168h or 90m, got %q", s)
}

// Type names the value in the help.
func (a *ageFlag) Type() string { return "duration" }
