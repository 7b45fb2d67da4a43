package resolve

import (
	"context"
	"fmt"
	"os"
	"regexp"

	"github.com/ybuild/ybuild/location"
)

// Open resolves ref, an image location (see package location), to a base
// image with the platforms opts selects:
//
//   - scratch: an empty image per platform (default linux/amd64);
//   - oci:DIR[:REF]: an OCI image layout; REF is a ref name or a digest and
//     may be left out when index.json has one entry;
//   - oci-archive:FILE[:REF]: the same in a tar, read in place;
//   - docker-archive:FILE[:NAME:TAG | :@N]: a `docker save` archive;
//   - docker://REF or a bare REF: a registry reference.
//
// Relative paths are relative to opts.Dir. An index base gives the images of
// the requested platforms (default linux/amd64, or all with
// opts.AllPlatforms); a single-manifest base keeps its own platform.
func Open(ctx context.Context, ref string, opts Options) (*Base, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	loc, err := location.Parse(ref, location.Base)
	if err != nil {
		return nil, fmt.Errorf("base %q: %w: %w", ref, ErrInvalidBase, err)
	}
	open, ok := openers[loc.Kind]
	if !ok {
		return nil, fmt.Errorf("base %q: %w: ybuild cannot read %s bases", ref, ErrUnsupported, loc.Kind)
	}
	return open(ctx, loc, opts)
}

// opener opens a base at a parsed location; it names the base in its errors.
type opener func(ctx context.Context, loc location.Location, opts Options) (*Base, error)

// openers holds the opener of every kind of base; each kind's file
// registers its own.
var openers = map[location.Kind]opener{}

// register makes open the opener of kind k.
func register(k location.Kind, open opener) {
	openers[k] = open
}

// localOpener opens a local base at an absolute path with an optional ref.
type localOpener func(ctx context.Context, path, ref string, opts Options) (*Base, error)

// registerLocal registers a local kind: PATH is made absolute against
// opts.Dir, PATH@N without :REF picks entry N, and errors are prefixed with
// "base LOCATION: ".
func registerLocal(k location.Kind, open localOpener) {
	register(k, func(ctx context.Context, loc location.Location, opts Options) (*Base, error) {
		name := loc.String()
		loc = loc.Abs(opts.Dir)
		p, ref := loc.Path, loc.Ref
		if ref == "" {
			p, ref = splitIndex(p)
		}
		b, err := open(ctx, p, ref, opts)
		if err != nil {
			return nil, fmt.Errorf("base %s: %w", name, err)
		}
		return b, nil
	})
}

// atIndex matches a trailing @N (an entry index) in a path.
var atIndex = regexp.MustCompile(`^(.+)(@[0-9]+)$`)

// splitIndex splits PATH@N into PATH and ref @N, unless a file PATH@N
// exists.
func splitIndex(p string) (path, ref string) {
	if m := atIndex.FindStringSubmatch(p); m != nil {
		if _, err := os.Stat(p); err != nil {
			return m[1], m[2]
		}
	}
	return p, ""
}
