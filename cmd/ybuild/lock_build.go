package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/location"
	"github.com/ybuild/ybuild/lock"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/resolve"
	"github.com/ybuild/ybuild/spec"
)

// applyLock pins b.Base to the digest in the spec's lockfile, when there is
// one that matches the spec, and says so in one line. With locked, a
// missing or stale lock is an error (exit 2); without, a stale lock is
// reported and the base resolved as written. A corrupt lock, or one for
// another spec, is always an error.
func applyLock(b *spec.Build, file string, locked bool, plats []ocispec.Platform, all, flagged bool, stderr io.Writer) (*lock.Lock, error) {
	path := lock.Path(file)
	l, err := lock.Read(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && locked:
		return nil, usageError{fmt.Errorf("%s: %w (--locked): run `ybuild lock -f %s` and check it in", path, lock.ErrMissing, file)}
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, usageError{err}
	}
	if isLocalBase(b.Base) {
		return nil, usageError{fmt.Errorf("%s: %w: base %s is not in a registry; a lock pins registry bases only: delete the lock", path, lock.ErrInvalid, b.Base)}
	}
	if err := l.Check(lockWant(b, file, plats, all)); err != nil {
		fix := lockFix(file, l, plats, all, flagged)
		if errors.Is(err, lock.ErrStale) && !locked {
			fmt.Fprintf(stderr, "ybuild: %s: %v: resolving the base as written; run `%s` to update the lock\n", path, err, fix)
			return nil, nil
		}
		if errors.Is(err, lock.ErrInvalid) {
			fix = "ybuild lock --update -f " + file // plain lock refuses an invalid lock
		}
		return nil, usageError{fmt.Errorf("%s: %w; run `%s`", path, err, fix)}
	}
	loc, err := location.Parse(b.Base, location.Base)
	if err != nil {
		return nil, usageError{fmt.Errorf("base %s: %w", b.Base, err)}
	}
	ref, err := registry.ParseReference(loc.Ref)
	if err != nil {
		return nil, usageError{fmt.Errorf("base %s: %w", b.Base, err)}
	}
	b.Base = ref.WithDigest(l.Digest).String()
	fmt.Fprintf(stderr, "ybuild: base %s locked at %s by %s\n", l.Base, l.Digest, path)
	return l, nil
}

// lockFix is the command that brings lock l in line with a build of plats:
// `ybuild lock -f FILE`, or, for a build whose --platform (flagged) names
// platforms, one that pins those and the ones l pins (plain `ybuild lock`
// pins the spec's platforms, and would say the lock is up to date).
func lockFix(file string, l *lock.Lock, plats []ocispec.Platform, all, flagged bool) string {
	run := "ybuild lock -f " + file
	if !flagged || all {
		return run
	}
	names := []string{}
	for _, p := range l.Platforms {
		names = append(names, p.Name)
	}
	for _, p := range plats {
		names = append(names, platformName(p))
	}
	slices.Sort(names)
	return run + " --platform " + strings.Join(slices.Compact(names), ",")
}

// lockWant is what spec b asks of its lock.
func lockWant(b *spec.Build, file string, plats []ocispec.Platform, all bool) lock.Want {
	w := lock.Want{Spec: filepath.Base(file), Base: b.Base, AllPlatforms: all}
	if loc, err := location.Parse(b.Base, location.Base); err == nil && loc.Kind == location.Registry {
		if ref, err := registry.ParseReference(loc.Ref); err == nil {
			w.Digest = ref.Digest
		}
	}
	for _, p := range plats {
		w.Platforms = append(w.Platforms, platformName(p))
	}
	return w
}

// platformName is the normalised os/arch[/variant] a lock records.
func platformName(p ocispec.Platform) string {
	return platforms.Format(platforms.Normalize(p))
}

// checkPinned checks that the base resolved from the locked digest has the
// manifests the lock pins; a mismatch means the lock was edited.
func checkPinned(l *lock.Lock, file string, base *resolve.Base) error {
	if l == nil {
		return nil
	}
	for _, im := range base.Images {
		name := platformName(im.Platform)
		d, ok := l.Platform(name)
		if !ok {
			return usageError{fmt.Errorf("%s: %w: %s is not pinned (the lock pins %s); run `ybuild lock --update -f %s`",
				lock.Path(file), lock.ErrStale, name, pinnedNames(l), file)}
		}
		if d != im.Desc.Digest {
			return usageError{fmt.Errorf("%s: %w: %s is pinned to %q, but the locked base %s has %s: the lock was edited; run `ybuild lock --update -f %s`",
				lock.Path(file), lock.ErrInvalid, name, d, l.Digest, im.Desc.Digest, file)}
		}
	}
	return nil
}

// lockedBaseError explains a failure to open a locked base: a digest the
// registry does not have is a lock problem (exit 2).
func lockedBaseError(l *lock.Lock, file string, err error) error {
	if l == nil || !errors.Is(err, resolve.ErrNotFound) {
		return err
	}
	return usageError{fmt.Errorf("%s: the pinned base %s@%s: %w; run `ybuild lock --update -f %s`", lock.Path(file), l.Base, l.Digest, err, file)}
}

// pinnedNames lists the platforms a lock pins.
func pinnedNames(l *lock.Lock) string {
	names := make([]string, 0, len(l.Platforms))
	for _, p := range l.Platforms {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}
