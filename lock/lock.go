package lock

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
)

// Version is the lockfile format version this package reads and writes.
const Version = 1

// Lock is one spec's lockfile.
type Lock struct {
	// Spec is the base name of the spec file the lock belongs to (build.yaml).
	Spec string
	// Base is the spec's base reference as written (after ${NAME} substitution).
	Base string
	// Digest is the digest of the manifest or index Base resolved to.
	Digest digest.Digest
	// AllPlatforms records that the spec builds every platform of the base.
	AllPlatforms bool
	// Platforms are the pinned platforms, sorted by name.
	Platforms []Platform
}

// Platform is one platform's manifest in a lock.
type Platform struct {
	// Name is os/arch[/variant], as containerd's platforms.Format writes it.
	Name string
	// Digest is the platform's image manifest digest.
	Digest digest.Digest
}

// Path returns the lockfile of a spec: the spec's file name with its
// extension replaced by .lock (build.yaml → build.lock).
func Path(specFile string) string {
	ext := filepath.Ext(specFile)
	return strings.TrimSuffix(specFile, ext) + ".lock"
}

// Sort orders the platforms by name.
func (l *Lock) Sort() {
	slices.SortFunc(l.Platforms, func(a, b Platform) int { return strings.Compare(a.Name, b.Name) })
}

// Platform returns the pinned manifest digest of platform name.
func (l *Lock) Platform(name string) (digest.Digest, bool) {
	for _, p := range l.Platforms {
		if p.Name == name {
			return p.Digest, true
		}
	}
	return "", false
}

// Want is what a spec asks of its lock.
type Want struct {
	// Spec is the spec file's base name.
	Spec string
	// Base is the base reference as written.
	Base string
	// Platforms are the platforms the build selects (normalised names); empty
	// means the base's default.
	Platforms []string
	// AllPlatforms is platforms: all.
	AllPlatforms bool
	// Digest is the digest Base names itself (name@sha256:…), if any: a
	// lock cannot move such a base.
	Digest digest.Digest
}

// Check reports whether l can pin a build of want: ErrInvalid when it
// belongs to another spec or moves a base the spec names by digest, ErrStale (with the reason) when the base differs
// or a wanted platform is not pinned.
func (l *Lock) Check(want Want) error {
	if l.Spec != want.Spec {
		return fmt.Errorf("%w: it is the lock of %s, not of %s", ErrInvalid, l.Spec, want.Spec)
	}
	if l.Base != want.Base {
		return fmt.Errorf("%w: the lock pins base %s, the spec says %s", ErrStale, l.Base, want.Base)
	}
	if want.Digest != "" && l.Digest != want.Digest {
		return fmt.Errorf("%w: the spec pins the base to %s, the lock to %s: the lock was edited", ErrInvalid, want.Digest, l.Digest)
	}
	if want.AllPlatforms && !l.AllPlatforms {
		return fmt.Errorf("%w: the spec builds all platforms, the lock pins %s", ErrStale, l.names())
	}
	for _, p := range want.Platforms {
		if _, ok := l.Platform(p); !ok {
			return fmt.Errorf("%w: platform %s is not pinned (the lock pins %s)", ErrStale, p, l.names())
		}
	}
	return nil
}

// names lists the pinned platforms.
func (l *Lock) names() string {
	out := make([]string, 0, len(l.Platforms))
	for _, p := range l.Platforms {
		out = append(out, p.Name)
	}
	return strings.Join(out, ", ")
}

// Change is one platform's move between two locks.
type Change struct {
	// Platform is the platform name, or "" for the top-level digest.
	Platform string
	// Old and New are the digests; "" when the platform was not pinned.
	Old, New digest.Digest
}

// Changes lists the top-level digest and every platform of old and new,
// sorted, with their old and new digests (equal when unchanged). old may be nil.
func Changes(old, new *Lock) []Change {
	if old == nil {
		old = &Lock{}
	}
	out := []Change{{Old: old.Digest, New: new.Digest}}
	names := map[string]bool{}
	for _, p := range append(slices.Clone(old.Platforms), new.Platforms...) {
		names[p.Name] = true
	}
	for _, n := range slices.Sorted(maps.Keys(names)) {
		o, _ := old.Platform(n)
		w, _ := new.Platform(n)
		out = append(out, Change{Platform: n, Old: o, New: w})
	}
	return out
}
