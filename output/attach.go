package output

import (
	"context"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/assemble"
)

// Attachment is a manifest stored with an image but outside it, so that the
// image's digest never depends on it: an OCI 1.1 referrer (an SBOM or
// provenance artifact whose subject is one of the image's manifests) or a
// cosign signature or attestation image.
type Attachment struct {
	// Image is the attached manifest (Image.Desc) with its blobs.
	Image *assemble.Image
	// Subject is the manifest a referrer refers to; nil for cosign images.
	Subject *ocispec.Descriptor
	// Tag is the tag a registry keeps a cosign image under
	// (sha256-<hex>.sig or .att).
	Tag string
	// Kind is cosign's layout annotation (KindSignatures, KindAttestations)
	// for the cosign images of the top-level manifest, which a layout lists
	// in index.json; a layout skips cosign images without a Kind.
	Kind string
}

// Cosign's index.json "kind" annotation values in a layout (what `cosign
// verify --local-image` reads).
const (
	annotationKind   = "kind"
	KindSignatures   = "dev.cosignproject.cosign/sigs"
	KindAttestations = "dev.cosignproject.cosign/atts"
	kindImage        = "dev.cosignproject.cosign/image"
	kindImageIndex   = "dev.cosignproject.cosign/imageIndex"
)

// AttachWriter is a Writer that also stores attachments with the image:
// layouts and OCI archives list them in index.json, registries push them
// (referrers API, else the sha256-<hex> referrers tag).
type AttachWriter interface {
	Writer
	// WriteAttached writes img, then atts.
	WriteAttached(ctx context.Context, img *assemble.Image, atts []Attachment) (Result, error)
}

// attachedEntries returns the index.json entries of atts: every referrer,
// and the cosign images that carry a Kind.
func attachedEntries(atts []Attachment) []ocispec.Descriptor {
	var out []ocispec.Descriptor
	for _, a := range atts {
		switch {
		case a.Subject != nil:
			out = append(out, a.Image.Desc)
		case a.Kind != "":
			out = append(out, entryFor(a.Image.Desc, map[string]string{annotationKind: a.Kind}))
		}
	}
	return out
}

// signed reports whether atts hold cosign images for the layout.
func signed(atts []Attachment) bool {
	for _, a := range atts {
		if a.Kind != "" {
			return true
		}
	}
	return false
}

// withAttached returns entries with the attached ones added (each digest
// once) and, when atts are signed, the image entry named ref annotated with
// cosign's kind, which `cosign verify --local-image` looks for. Cosign kinds
// of earlier builds are dropped: cosign reads the first one it finds.
func withAttached(entries []ocispec.Descriptor, img *assemble.Image, ref string, atts []Attachment) []ocispec.Descriptor {
	isSigned := signed(atts)
	out := make([]ocispec.Descriptor, 0, len(entries)+len(atts))
	have := map[string]bool{}
	for _, e := range entries {
		if isSigned && e.Annotations[annotationKind] != "" {
			if e.Annotations[annotationRefName] == "" {
				continue // an earlier build's signatures
			}
			e = entryFor(e, nil)
			delete(e.Annotations, annotationKind)
		}
		if isSigned && e.Annotations[annotationRefName] == ref && e.Digest == img.Desc.Digest {
			kind := kindImage
			if img.Desc.MediaType == ocispec.MediaTypeImageIndex {
				kind = kindImageIndex
			}
			e = entryFor(e, map[string]string{annotationKind: kind})
		}
		have[e.Digest.String()+e.Annotations[annotationRefName]] = true
		out = append(out, e)
	}
	for _, e := range attachedEntries(atts) {
		if !have[e.Digest.String()] {
			have[e.Digest.String()] = true
			out = append(out, e)
		}
	}
	return out
}

// attachedBlobs returns every blob of atts that a layout stores.
func attachedBlobs(atts []Attachment) []attachedBlob {
	var out []attachedBlob
	for _, a := range atts {
		if a.Subject == nil && a.Kind == "" {
			continue
		}
		for _, d := range a.Image.Blobs() {
			out = append(out, attachedBlob{img: a.Image, desc: d})
		}
	}
	return out
}

// attachedBlob is one blob of an attachment.
type attachedBlob struct {
	img  *assemble.Image
	desc ocispec.Descriptor
}
