package resolve

import (
	"encoding/json"

	"github.com/ybuild/ybuild/imageio"
)

// schema1Hint says what a schema 1 image is and what to do about it.
const schema1Hint = "docker schema1 manifest (deprecated); re-push it with a current docker, or copy it with skopeo to convert it"

// Annotations read from index entries.
const (
	// annotationReferenceType marks a BuildKit attestation manifest with
	// the value attestationManifest; such entries are never selected.
	annotationReferenceType = "vnd.docker.reference.type"
	attestationManifest     = "attestation-manifest"
	// annotationImageName is containerd's image name annotation, used as the base name.
	annotationImageName = "io.containerd.image.name"
)

// kind classifies a manifest-like document.
type kind int

const (
	kindUnknown kind = iota
	kindIndex
	kindManifest
	kindSchema1
)

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
	case s.SchemaVersion == 1 || imageio.IsSchema1(mt):
		return kindSchema1, mt
	case imageio.IsIndex(mt) || (mt == "" && s.Manifests != nil):
		return kindIndex, mt
	case imageio.IsManifest(mt) || (mt == "" && s.Config != nil):
		return kindManifest, mt
	}
	return kindUnknown, mt
}
