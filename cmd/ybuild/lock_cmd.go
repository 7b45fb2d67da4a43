package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ybuild/ybuild/lock"
	"github.com/ybuild/ybuild/resolve"
)

// lockOptions are the flags of `ybuild lock`.
type lockOptions struct {
	file      string
	args      []string
	platforms []string
	update    bool
	check     bool
	registry  registryFlags
}

// newLockCmd pins the spec's base in SPEC.lock.
func newLockCmd(stdout, _ io.Writer) *cobra.Command {
	o := &lockOptions{}
	cmd := &cobra.Command{
		Use:   "lock",
		Short: "Pin the spec's base image to its current digest in a lockfile (build.yaml → build.lock)",
		Example: "  ybuild lock -f build.yaml\n  ybuild lock --update -f build.yaml   # move the pin to the tag's current digest\n" +
			"  ybuild lock --check -f build.yaml    # exit 1 when the tag moved",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLock(cmd.Context(), o, stdout)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&o.file, "file", "f", "build.yaml", "the spec whose base to lock")
	fs.StringArrayVar(&o.args, "arg", nil, "set a spec argument, NAME=VALUE; repeatable")
	fs.StringSliceVar(&o.platforms, "platform", nil, "platforms to pin (default: the spec's; \"all\" pins every platform of the base)")
	fs.BoolVar(&o.update, "update", false, "resolve the tag again and move the lock to its current digest")
	fs.BoolVar(&o.check, "check", false, "resolve the tag and report whether the lock is behind (exit 1) without writing")
	addRegistryFlags(fs, &o.registry)
	return cmd
}

// runLock resolves the base and writes (or checks) the lock.
func runLock(ctx context.Context, o *lockOptions, stdout io.Writer) error {
	b, err := loadSpec(o.file, o.args)
	if err != nil {
		return err
	}
	path := lock.Path(o.file)
	if isLocalBase(b.Base) {
		return usageError{fmt.Errorf("%s: base %s is not in a registry: a lock pins registry bases only", o.file, b.Base)}
	}
	plats, all, err := selectPlatforms(b, o.platforms)
	if err != nil {
		return err
	}
	old, err := lock.Read(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !o.update {
		return usageError{fmt.Errorf("%w (or run `ybuild lock --update -f %s` to replace it)", err, o.file)}
	}
	want := lockWant(b, o.file, plats, all)
	if old != nil {
		cerr := old.Check(want)
		if errors.Is(cerr, lock.ErrInvalid) && !o.update {
			return usageError{fmt.Errorf("%s: %w; run `ybuild lock --update -f %s` to replace it", path, cerr, o.file)}
		}
		if errors.Is(cerr, lock.ErrInvalid) {
			old = nil // --update replaces it
		}
		if cerr == nil && !o.update && !o.check {
			_, err := fmt.Fprintf(stdout, "%s: up to date: base %s at %s (use --update to move it to the tag's current digest)\n", path, old.Base, old.Digest)
			return err
		}
	}
	reg := o.registry.options()
	if reg.Offline {
		return usageError{errors.New("lock resolves the tag in the registry: drop --offline")}
	}
	base, err := resolve.Open(ctx, b.Base, resolve.Options{Dir: b.Dir, Platforms: plats, AllPlatforms: all, Registry: reg, CacheDir: o.registry.cache()})
	if err != nil {
		return err
	}
	nl := newLock(filepath.Base(o.file), b.Base, base, all)
	return finishLock(stdout, o, path, old, nl)
}

// newLock records what base resolved to.
func newLock(specName, ref string, base *resolve.Base, all bool) *lock.Lock {
	l := &lock.Lock{Spec: specName, Base: ref, Digest: base.Digest, AllPlatforms: all}
	for _, im := range base.Images {
		l.Platforms = append(l.Platforms, lock.Platform{Name: platformName(im.Platform), Digest: im.Desc.Digest})
	}
	l.Sort()
	return l
}

// finishLock prints old → new per platform, and writes the lock unless
// --check (which fails when the lock is behind).
func finishLock(stdout io.Writer, o *lockOptions, path string, old, nl *lock.Lock) error {
	changes := lock.Changes(old, nl)
	moved := old == nil || string(old.Marshal()) != string(nl.Marshal())
	verb := "wrote"
	switch {
	case o.check && moved:
		verb = "behind"
	case o.check || !moved:
		verb = "up to date"
	}
	fmt.Fprintf(stdout, "%s: %s: base %s\n", path, verb, nl.Base)
	for _, c := range changes {
		printChange(stdout, c)
	}
	if o.check {
		if moved {
			return fmt.Errorf("%s is behind the registry: run `ybuild lock --update -f %s`", path, o.file)
		}
		return nil
	}
	if !moved {
		return nil
	}
	return lock.Write(path, nl)
}

// printChange writes one line: "  linux/amd64  sha256:old → sha256:new".
func printChange(w io.Writer, c lock.Change) {
	name := c.Platform
	if name == "" {
		name = "(top)"
	}
	switch {
	case c.Old == c.New:
		fmt.Fprintf(w, "  %-14s %s (unchanged)\n", name, c.New)
	case c.Old == "":
		fmt.Fprintf(w, "  %-14s %s (new)\n", name, c.New)
	case c.New == "":
		fmt.Fprintf(w, "  %-14s %s (dropped)\n", name, c.Old)
	default:
		fmt.Fprintf(w, "  %-14s %s → %s\n", name, c.Old, c.New)
	}
}
