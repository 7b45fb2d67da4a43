package attest

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// testProvenanceInput is a build of an index with two platforms.
func testProvenanceInput() ProvenanceInput {
	return ProvenanceInput{
		Name:     "example.com/app",
		Subjects: []digest.Digest{digest.FromString("index"), digest.FromString("amd64"), digest.FromString("arm64")},
		SpecPath: "build.yaml", SpecDigest: digest.FromString("spec"),
		Args: map[string]string{"B": "2", "A": "1"}, Base: "docker.io/library/busybox:1.36",
		BaseDigests: []digest.Digest{digest.FromString("base"), digest.FromString("base-amd64"), digest.FromString("base")},
		Version:     "v1.2.3", GitCommit: "0123456789abcdef0123456789abcdef01234567", GitRemote: "https://example.com/app.git",
	}
}

// TestProvenance: an in-toto v1 statement with SLSA v1 provenance naming
// every manifest, the spec, the base digests (each once) and the commit; the
// same input gives the same bytes, with no time in them.
func TestProvenance(t *testing.T) {
	in := testProvenanceInput()
	a, err := Provenance(in)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Provenance(testProvenanceInput())
	if !bytes.Equal(a, b) {
		t.Error("two statements of the same input differ")
	}
	var st struct {
		Statement
		Predicate provenance `json:"predicate"`
	}
	if err := json.Unmarshal(a, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type != StatementType || st.PredicateType != PredicateSLSA || len(st.Subject) != 3 || st.Subject[1].Digest["sha256"] != in.Subjects[1].Encoded() {
		t.Errorf("statement %s", a)
	}
	bd := st.Predicate.BuildDefinition
	if bd.BuildType != BuildType || bd.ExternalParameters.Spec.Digest["sha256"] != in.SpecDigest.Encoded() || bd.ExternalParameters.Args["B"] != "2" {
		t.Errorf("build definition %+v", bd)
	}
	deps := bd.ResolvedDependencies
	if len(deps) != 3 || deps[2].Digest["gitCommit"] != in.GitCommit || deps[2].URI != "git+"+in.GitRemote {
		t.Errorf("resolved dependencies %+v, want two base digests and the commit", deps)
	}
	if strings.Contains(string(a), "startedOn") || strings.Contains(string(a), "finishedOn") {
		t.Errorf("provenance holds a time: %s", a)
	}
}

// TestReferrer: the artifact manifest carries the document as its only
// layer, the empty config, artifactType and the subject; the image holds
// exactly the config, the document and the manifest.
func TestReferrer(t *testing.T) {
	subject := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString("m"), Size: 42,
		Platform: &ocispec.Platform{OS: "linux", Architecture: "amd64"}}
	doc := Document{Subject: subject, MediaType: MediaTypeSPDX, Data: []byte(`{"spdxVersion":"SPDX-2.3"}`)}
	art, err := Referrer(doc, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(art.Image.Bytes(art.Image.Desc), &m); err != nil {
		t.Fatal(err)
	}
	if m.ArtifactType != MediaTypeSPDX || m.Config.MediaType != ocispec.MediaTypeEmptyJSON || len(m.Layers) != 1 ||
		m.Layers[0].Digest != digest.FromBytes(doc.Data) || m.Subject == nil || m.Subject.Digest != subject.Digest ||
		m.Subject.Platform != nil || m.Subject.Size != 42 {
		t.Errorf("manifest %+v", m)
	}
	if art.Image.Desc.ArtifactType != MediaTypeSPDX || len(art.Image.Blobs()) != 3 || string(art.Image.Bytes(m.Config)) != "{}" {
		t.Errorf("image %+v with %d blobs", art.Image.Desc, len(art.Image.Blobs()))
	}
}
