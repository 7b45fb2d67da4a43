package resolve

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Reference prefixes of local bases.
const (
	scratchRef          = "scratch"
	prefixOCI           = "oci:"
	prefixOCIArchive    = "oci-archive:"
	prefixDockerArchive = "docker-archive:"
)

// Open resolves ref to a base image with the platforms opts selects:
//
//   - scratch: an empty image per platform (default linux/amd64);
//   - oci:DIR[:REF]: an OCI image layout; REF is a ref name or a digest and
//     may be left out when index.json has one entry;
//   - oci-archive:FILE[:REF]: the same in a tar, read in place;
//   - docker-archive:FILE[:NAME:TAG | :@N]: a `docker save` archive;
//   - anything else: a registry reference.
//
// Relative paths are relative to opts.Dir. An index base gives the images of
// the requested platforms (default linux/amd64, or all with
// opts.AllPlatforms); a single-manifest base keeps its own platform.
func Open(ctx context.Context, ref string, opts Options) (*Base, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var (
		b   *Base
		err error
	)
	switch {
	case ref == scratchRef:
		b, err = openScratch(opts)
	case strings.HasPrefix(ref, prefixOCI):
		b, err = openLocal(ctx, strings.TrimPrefix(ref, prefixOCI), opts, openLayout)
	case strings.HasPrefix(ref, prefixOCIArchive):
		b, err = openLocal(ctx, strings.TrimPrefix(ref, prefixOCIArchive), opts, openOCIArchive)
	case strings.HasPrefix(ref, prefixDockerArchive):
		b, err = openLocal(ctx, strings.TrimPrefix(ref, prefixDockerArchive), opts, openDockerArchive)
	default:
		return openRegistry(ctx, ref, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("base %s: %w", ref, err)
	}
	return b, nil
}

// opener opens a local base at path with an optional ref.
type opener func(ctx context.Context, path, ref string, opts Options) (*Base, error)

// openLocal splits PATH[:REF], makes PATH absolute against opts.Dir and opens it.
func openLocal(ctx context.Context, s string, opts Options, open opener) (*Base, error) {
	p, ref := splitRef(s)
	if p == "" {
		return nil, fmt.Errorf("%w: no path", ErrInvalidBase)
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(opts.Dir, p)
	}
	return open(ctx, p, ref, opts)
}

// atIndex matches a trailing @N (an entry index) in a path.
var atIndex = regexp.MustCompile(`^(.+)(@[0-9]+)$`)

// splitRef splits PATH[:REF] at the first colon, as skopeo does; PATH@N
// (no colon) is PATH with ref @N unless a file PATH@N exists.
func splitRef(s string) (path, ref string) {
	if p, r, ok := strings.Cut(s, ":"); ok {
		return p, r
	}
	if m := atIndex.FindStringSubmatch(s); m != nil {
		if _, err := os.Stat(s); err != nil {
			return m[1], m[2]
		}
	}
	return s, ""
}
