package resolve

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/location"
)

// layoutVersion is the only imageLayoutVersion there is.
const layoutVersion = "1.0.0"

func init() {
	registerLocal(location.OCI, openLayout)
	registerLocal(location.OCIArchive, openOCIArchive)
}

// openLayout opens oci:DIR[:REF].
func openLayout(ctx context.Context, dir, ref string, opts Options) (*Base, error) {
	return fromLayout(ctx, &dirSource{root: dir}, ref, opts)
}

// openOCIArchive opens oci-archive:FILE[:REF], reading blobs in place.
func openOCIArchive(ctx context.Context, file, ref string, opts Options) (*Base, error) {
	src, err := scanTar(ctx, file)
	if err != nil {
		return nil, err
	}
	return fromLayout(ctx, src, ref, opts)
}

// fromLayout checks the layout, picks the index.json entry ref names and
// opens it.
func fromLayout(ctx context.Context, l layoutFS, ref string, opts Options) (*Base, error) {
	idx, err := readLayoutIndex(ctx, l)
	if err != nil {
		return nil, err
	}
	entry, err := pickRef(idx.Manifests, ref, matchRefName)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l, err)
	}
	b, err := newBase(ctx, layoutName(entry), entry, l, opts)
	if err == nil {
		err = checkLayers(l, b)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l, err)
	}
	return b, nil
}

// layoutName is the base.name of a layout entry: its
// io.containerd.image.name, else its ref name when that is a whole image
// reference with a tag (name:tag, as skopeo and podman write a ref such as
// oci:DIR:docker.io/library/alpine:3.20), fully qualified; else "" (a ref
// name like "latest" names no image: base.digest alone identifies it).
func layoutName(d ocispec.Descriptor) string {
	if n := d.Annotations[annotationImageName]; n != "" {
		return n
	}
	n, err := reference.ParseNormalizedNamed(d.Annotations[ocispec.AnnotationRefName])
	if err != nil {
		return ""
	}
	if _, ok := n.(reference.Tagged); !ok {
		return ""
	}
	return n.String()
}

// readLayoutIndex checks oci-layout and parses index.json.
func readLayoutIndex(ctx context.Context, l layoutFS) (ocispec.Index, error) {
	var idx ocispec.Index
	data, err := l.readFile(ctx, ocispec.ImageLayoutFile)
	if err != nil {
		return idx, fmt.Errorf("%w: %s: no oci-layout file: %w", ErrInvalidBase, l, err)
	}
	var lay ocispec.ImageLayout
	if err := json.Unmarshal(data, &lay); err != nil || lay.Version != layoutVersion {
		return idx, fmt.Errorf("%w: %s: oci-layout is not {\"imageLayoutVersion\":\"1.0.0\"}", ErrInvalidBase, l)
	}
	data, err = l.readFile(ctx, ocispec.ImageIndexFile)
	if err != nil {
		return idx, fmt.Errorf("%w: %s: %w", ErrInvalidBase, l, err)
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		return idx, fmt.Errorf("%w: %s: parse index.json: %w", ErrInvalidBase, l, err)
	}
	if idx.SchemaVersion != 2 {
		return idx, fmt.Errorf("%w: %s: index.json schemaVersion %d", ErrInvalidBase, l, idx.SchemaVersion)
	}
	return idx, nil
}

// refMatcher reports whether an index.json entry carries the name ref.
type refMatcher func(d ocispec.Descriptor, ref string) bool

// matchRefName matches org.opencontainers.image.ref.name exactly.
func matchRefName(d ocispec.Descriptor, ref string) bool {
	return d.Annotations[ocispec.AnnotationRefName] == ref
}

// pickRef selects the entry for ref: by name (match), else by digest. With
// no ref there must be exactly one entry.
func pickRef(entries []ocispec.Descriptor, ref string, match refMatcher) (ocispec.Descriptor, error) {
	if len(entries) == 0 {
		return ocispec.Descriptor{}, fmt.Errorf("%w: index.json has no entries", ErrInvalidBase)
	}
	if ref == "" {
		images := imageEntries(entries)
		if sameImage(images) {
			return images[0], nil // one image, maybe under several names
		}
		return ocispec.Descriptor{}, fmt.Errorf("%w: %d images, name one of: %s", ErrAmbiguous, len(images), refList(images))
	}
	var found []ocispec.Descriptor
	for _, d := range entries {
		if match(d, ref) || d.Digest.String() == ref {
			found = append(found, d)
		}
	}
	if len(found) == 0 && strings.HasPrefix(ref, "@") {
		if d, err := digest.Parse(ref[1:]); err == nil {
			return pickRef(entries, d.String(), match)
		}
	}
	switch {
	case len(found) == 0:
		return ocispec.Descriptor{}, missingRef(ref, refNames(imageEntries(entries)))
	case sameImage(found):
		return found[0], nil
	}
	return ocispec.Descriptor{}, fmt.Errorf("ref %q: %w: %d entries match", ref, ErrAmbiguous, len(found))
}

// sameImage reports whether entries all name one image (one digest), as
// the entries of a docker archive written with several tags do.
func sameImage(entries []ocispec.Descriptor) bool {
	for _, d := range entries[1:] {
		if d.Digest != entries[0].Digest {
			return false
		}
	}
	return true
}

// refList names entries by ref name, else digest (at most maxListed).
func refList(entries []ocispec.Descriptor) string {
	return listNames(refNames(entries))
}

// refNames names entries by ref name, else digest.
func refNames(entries []ocispec.Descriptor) []string {
	names := make([]string, 0, len(entries))
	for _, d := range entries {
		if n := d.Annotations[ocispec.AnnotationRefName]; n != "" {
			names = append(names, n)
		} else {
			names = append(names, d.Digest.String())
		}
	}
	return names
}

// imageEntries drops the index.json entries that are attached to an image
// rather than images: OCI 1.1 artifacts (SBOM, provenance) and cosign
// signature and attestation images.
func imageEntries(entries []ocispec.Descriptor) []ocispec.Descriptor {
	var out []ocispec.Descriptor
	for _, d := range entries {
		kind := d.Annotations["kind"]
		if d.ArtifactType != "" || kind == "dev.cosignproject.cosign/sigs" || kind == "dev.cosignproject.cosign/atts" {
			continue
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return entries
	}
	return out
}
