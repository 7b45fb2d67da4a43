package attest

import (
	"encoding/json"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/assemble"
)

// Document is one SBOM or provenance statement about a manifest.
type Document struct {
	// Subject is the manifest the document is attached to.
	Subject ocispec.Descriptor
	// MediaType is the document's media type (MediaTypeSPDX, MediaTypeInToto),
	// also the artifact type of its referrer.
	MediaType string
	// Data is the document.
	Data []byte
	// Statement is the in-toto statement form (Data itself for provenance,
	// the SBOM wrapped for cosign attestations, made only when signing);
	// PredicateType its predicate.
	Statement     []byte
	PredicateType string
}

// Artifact is an OCI 1.1 artifact manifest and its blobs, ready to write to
// a layout or push: Image.Desc is the manifest, Subject what it refers to.
type Artifact struct {
	// Image holds the manifest and its blobs in push order.
	Image *assemble.Image
	// Subject is the manifest the artifact refers to.
	Subject ocispec.Descriptor
}

// emptyJSON is the OCI empty descriptor's content.
var emptyJSON = []byte("{}")

// Referrer returns the artifact manifest that attaches doc to its subject:
// artifactType = the document's media type, the empty config, one layer
// (the document) and subject. created (the image's) is its only annotation.
func Referrer(doc Document, created time.Time) (Artifact, error) {
	layer := ocispec.Descriptor{MediaType: doc.MediaType, Digest: digest.FromBytes(doc.Data), Size: int64(len(doc.Data))}
	subject := ocispec.Descriptor{MediaType: doc.Subject.MediaType, Digest: doc.Subject.Digest, Size: doc.Subject.Size}
	m := ocispec.Manifest{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: doc.MediaType,
		Config:       ocispec.DescriptorEmptyJSON,
		Layers:       []ocispec.Descriptor{layer},
		Subject:      &subject,
		Annotations:  map[string]string{ocispec.AnnotationCreated: created.UTC().Truncate(time.Second).Format(time.RFC3339)},
	}
	img, err := manifestImage(m, [][]byte{emptyJSON, doc.Data})
	if err != nil {
		return Artifact{}, err
	}
	img.Desc.ArtifactType = doc.MediaType
	img.Desc.Annotations = m.Annotations
	return Artifact{Image: img, Subject: subject}, nil
}

// manifestImage returns an in-memory image of manifest m whose blobs (the
// config, then the layers) are data, in that order.
func manifestImage(m ocispec.Manifest, data [][]byte) (*assemble.Image, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	descs := append([]ocispec.Descriptor{m.Config}, m.Layers...)
	parts := make([]assemble.Data, len(descs))
	for i, d := range descs {
		parts[i] = assemble.Data{Desc: d, Bytes: data[i]}
	}
	top := ocispec.Descriptor{MediaType: m.MediaType, Digest: digest.FromBytes(raw), Size: int64(len(raw))}
	return assemble.NewDataImage(top, raw, parts...), nil
}
