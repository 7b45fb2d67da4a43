package resolve

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/imageio"
)

// DefaultPlatform is the platform taken from an index base when none is asked
// for: linux/amd64, never the host's.
var DefaultPlatform = ocispec.Platform{OS: "linux", Architecture: "amd64"}

// newBase reads the manifest or index top from src and selects the images
// of the platforms opts asks for. name is the base's fully qualified name.
// Registry access reuses it with a fetcher-backed BlobSource.
func newBase(ctx context.Context, name string, top ocispec.Descriptor, src BlobSource, opts Options) (*Base, error) {
	data, err := readBlob(ctx, src, top)
	if err != nil {
		return nil, err
	}
	b := &Base{Name: name, Digest: top.Digest, Blobs: src}
	k, mt := classify(top.MediaType, data)
	switch k {
	case kindIndex:
		b.IsIndex = true
		b.Images, err = selectFromIndex(ctx, src, data, opts)
	case kindManifest:
		b.Images, err = selectSingle(ctx, src, top, data, opts)
	case kindSchema1:
		err = fmt.Errorf("%s: %w: %s", top.Digest, ErrUnsupported, schema1Hint)
	default:
		err = fmt.Errorf("%s: %w: not an image manifest or index (media type %q)", top.Digest, ErrInvalidBase, mt)
	}
	if err != nil {
		return nil, err
	}
	return b, nil
}

// candidate is an image entry of an index, its image loaded on demand.
type candidate struct {
	desc  ocispec.Descriptor
	image *Image
}

// selectFromIndex picks the index entries matching opts, in index order.
func selectFromIndex(ctx context.Context, src BlobSource, data []byte, opts Options) ([]Image, error) {
	var idx ocispec.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("%w: parse index: %w", ErrInvalidBase, err)
	}
	cands, err := candidates(ctx, src, idx.Manifests)
	if err != nil {
		return nil, err
	}
	chosen, err := choose(cands, opts)
	if err != nil {
		return nil, err
	}
	out := make([]Image, 0, len(chosen))
	for _, c := range chosen {
		if c.image == nil {
			im, err := loadImage(ctx, src, c.desc)
			if err != nil {
				return nil, err
			}
			c.image = &im
		}
		out = append(out, *c.image)
	}
	return out, nil
}

// candidates returns the image entries of an index with known platforms:
// attestations, unknown/unknown entries and non-manifests are skipped, and
// entries without a platform get the one from their config.
func candidates(ctx context.Context, src BlobSource, entries []ocispec.Descriptor) ([]*candidate, error) {
	var out []*candidate
	for _, d := range entries {
		if d.Annotations[annotationReferenceType] == attestationManifest || !imageio.IsManifest(d.MediaType) {
			continue
		}
		c := &candidate{desc: d}
		if d.Platform == nil {
			im, err := loadImage(ctx, src, d)
			if err != nil {
				return nil, err
			}
			c.image = &im
			p := im.Platform
			c.desc.Platform = &p
		}
		if c.desc.Platform.OS == "unknown" || c.desc.Platform.Architecture == "unknown" {
			continue
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: index has no image manifests", ErrInvalidBase)
	}
	return out, nil
}

// choose returns the candidates that opts selects, in index order. Every
// requested platform must match one (the first that matches strictly).
func choose(cands []*candidate, opts Options) ([]*candidate, error) {
	if opts.AllPlatforms {
		return cands, nil
	}
	want := opts.Platforms
	if len(want) == 0 {
		want = []ocispec.Platform{DefaultPlatform}
	}
	picked := make([]bool, len(cands))
	for _, p := range want {
		m := platforms.OnlyStrict(p)
		i := indexFunc(cands, func(c *candidate) bool { return m.Match(*c.desc.Platform) })
		if i < 0 {
			return nil, noMatch(p, cands)
		}
		picked[i] = true
	}
	var out []*candidate
	for i, c := range cands {
		if picked[i] {
			out = append(out, c)
		}
	}
	return out, nil
}

// indexFunc returns the index of the first candidate f accepts, or -1.
func indexFunc(cands []*candidate, f func(*candidate) bool) int {
	for i, c := range cands {
		if f(c) {
			return i
		}
	}
	return -1
}

// noMatch returns the error for a platform that no candidate matches.
func noMatch(p ocispec.Platform, cands []*candidate) error {
	avail := make([]string, 0, len(cands))
	for _, c := range cands {
		avail = append(avail, platforms.Format(*c.desc.Platform))
	}
	return fmt.Errorf("%w: %s (available: %s)", ErrNoMatchingPlatform, platforms.Format(p), strings.Join(avail, ", "))
}

// selectSingle returns the only image of a single-manifest base, which must
// match every requested platform.
func selectSingle(ctx context.Context, src BlobSource, desc ocispec.Descriptor, data []byte, opts Options) ([]Image, error) {
	im, err := parseImage(ctx, src, desc, data)
	if err != nil {
		return nil, err
	}
	if !opts.AllPlatforms {
		c := []*candidate{{desc: ocispec.Descriptor{Platform: &im.Platform}}}
		for _, p := range opts.Platforms {
			if !platforms.OnlyStrict(p).Match(im.Platform) {
				return nil, noMatch(p, c)
			}
		}
	}
	return []Image{im}, nil
}

// loadImage reads the manifest desc and its config. The platform is the
// descriptor's, else the config's.
func loadImage(ctx context.Context, src BlobSource, desc ocispec.Descriptor) (Image, error) {
	data, err := readBlob(ctx, src, desc)
	if err != nil {
		return Image{}, err
	}
	switch k, mt := classify(desc.MediaType, data); k {
	case kindManifest:
	case kindSchema1:
		return Image{}, fmt.Errorf("manifest %s: %w: docker schema1", desc.Digest, ErrUnsupported)
	default:
		return Image{}, fmt.Errorf("manifest %s: %w: media type %q", desc.Digest, ErrInvalidBase, mt)
	}
	return parseImage(ctx, src, desc, data)
}
