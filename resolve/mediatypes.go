package resolve

import (
	"encoding/json"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Docker media types (schema2 and the refused schema1).
const (
	MediaTypeDockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeDockerConfig       = "application/vnd.docker.container.image.v1+json"
	MediaTypeDockerLayer        = "application/vnd.docker.image.rootfs.diff.tar"
	MediaTypeDockerLayerGzip    = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	MediaTypeDockerLayerZstd    = "application/vnd.docker.image.rootfs.diff.tar.zstd"
	MediaTypeDockerForeignLayer = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
	MediaTypeDockerSchema1      = "application/vnd.docker.distribution.manifest.v1+json"
	MediaTypeDockerSchema1JWS   = "application/vnd.docker.distribution.manifest.v1+prettyjws"
)

// schema1Hint says what a schema 1 image is and what to do about it.
const schema1Hint = "docker schema1 manifest (deprecated); re-push it with a current docker, or copy it with skopeo to convert it"

// isSchema1 reports whether mt is a Docker schema 1 manifest media type.
func isSchema1(mt string) bool {
	return mt == MediaTypeDockerSchema1 || mt == MediaTypeDockerSchema1JWS
}

// Attestation annotations that BuildKit puts on index entries.
const (
	// AnnotationReferenceType marks an attestation manifest with the value
	// AttestationManifest; such entries are never selected.
	AnnotationReferenceType = "vnd.docker.reference.type"
	// AttestationManifest is the AnnotationReferenceType of attestations.
	AttestationManifest = "attestation-manifest"
	// AnnotationImageName is containerd's image name annotation, used as the base name.
	AnnotationImageName = "io.containerd.image.name"
)

// kind classifies a manifest-like document.
type kind int

const (
	kindUnknown kind = iota
	kindIndex
	kindManifest
	kindSchema1
)

// IsIndex reports whether mt is an OCI index or a Docker manifest list.
func IsIndex(mt string) bool {
	return mt == ocispec.MediaTypeImageIndex || mt == MediaTypeDockerManifestList
}

// IsManifest reports whether mt is an OCI or Docker schema2 image manifest.
func IsManifest(mt string) bool {
	return mt == ocispec.MediaTypeImageManifest || mt == MediaTypeDockerManifest
}

// IsDocker reports whether mt is a Docker schema2 media type.
func IsDocker(mt string) bool {
	switch mt {
	case MediaTypeDockerManifest, MediaTypeDockerManifestList, MediaTypeDockerConfig,
		MediaTypeDockerLayer, MediaTypeDockerLayerGzip, MediaTypeDockerForeignLayer:
		return true
	}
	return false
}

// isImageConfig reports whether mt is a container image config.
func isImageConfig(mt string) bool {
	return mt == ocispec.MediaTypeImageConfig || mt == MediaTypeDockerConfig
}

// sniff is what a manifest-like document says about itself.
type sniff struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	Manifests     json.RawMessage   `json:"manifests"`
	Config        json.RawMessage   `json:"config"`
	FSLayers      []json.RawMessage `json:"fsLayers"`
}

// classify returns the kind of a document from its descriptor media type and
// content: the content's mediaType wins, then the descriptor's, then its shape.
func classify(descType string, data []byte) (kind, string) {
	var s sniff
	if err := json.Unmarshal(data, &s); err != nil {
		return kindUnknown, descType
	}
	mt := s.MediaType
	if mt == "" {
		mt = descType
	}
	switch {
	case s.SchemaVersion == 1 || isSchema1(mt):
		return kindSchema1, mt
	case IsIndex(mt) || (mt == "" && s.Manifests != nil):
		return kindIndex, mt
	case IsManifest(mt) || (mt == "" && s.Config != nil):
		return kindManifest, mt
	}
	return kindUnknown, mt
}
