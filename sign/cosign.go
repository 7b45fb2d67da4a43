package sign

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/assemble"
)

// Media types and annotations of cosign's signature and attestation images.
const (
	MediaTypeSimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json"
	MediaTypeDSSE          = "application/vnd.dsse.envelope.v1+json"
	AnnotationSignature    = "dev.cosignproject.cosign/signature"
	AnnotationPredicate    = "predicateType"
	payloadTypeInToto      = "application/vnd.in-toto+json"
)

// SigTag and AttTag are the tags cosign looks for: sha256-<hex>.sig and .att.
func SigTag(d digest.Digest) string { return tagFor(d) + ".sig" }

// AttTag is the tag of d's attestations.
func AttTag(d digest.Digest) string { return tagFor(d) + ".att" }

func tagFor(d digest.Digest) string { return strings.Replace(d.String(), ":", "-", 1) }

// simpleSigning is cosign's payload for an image signature.
type simpleSigning struct {
	Critical struct {
		Identity struct {
			DockerReference string `json:"docker-reference"`
		} `json:"identity"`
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
	Optional map[string]any `json:"optional"`
}

// SignatureImage returns the cosign signature image of manifest d, named
// repo (the docker-reference cosign records): one simple-signing layer
// carrying its signature in an annotation.
func (s *Signer) SignatureImage(repo string, d digest.Digest) (*assemble.Image, error) {
	var p simpleSigning
	p.Critical.Identity.DockerReference = repo
	p.Critical.Image.DockerManifestDigest = d.String()
	p.Critical.Type = "cosign container image signature"
	payload, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	sig, err := s.Sign(payload)
	if err != nil {
		return nil, err
	}
	layer := ocispec.Descriptor{
		MediaType: MediaTypeSimpleSigning, Digest: digest.FromBytes(payload), Size: int64(len(payload)),
		Annotations: map[string]string{AnnotationSignature: base64.StdEncoding.EncodeToString(sig)},
	}
	return layerImage([]ocispec.Descriptor{layer}, [][]byte{payload})
}

// dsseEnvelope is a DSSE envelope with one signature.
type dsseEnvelope struct {
	PayloadType string          `json:"payloadType"`
	Payload     string          `json:"payload"`
	Signatures  []dsseSignature `json:"signatures"`
}

type dsseSignature struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"`
}

// Statement is an in-toto statement to attest, with its predicate type.
type Statement struct {
	Data          []byte
	PredicateType string
}

// AttestationImage returns the cosign attestation image holding each
// statement in a signed DSSE envelope, one layer each.
func (s *Signer) AttestationImage(statements []Statement) (*assemble.Image, error) {
	layers := make([]ocispec.Descriptor, 0, len(statements))
	data := make([][]byte, 0, len(statements))
	for _, st := range statements {
		sig, err := s.Sign(pae(payloadTypeInToto, st.Data))
		if err != nil {
			return nil, err
		}
		env, err := json.Marshal(dsseEnvelope{
			PayloadType: payloadTypeInToto,
			Payload:     base64.StdEncoding.EncodeToString(st.Data),
			Signatures:  []dsseSignature{{Sig: base64.StdEncoding.EncodeToString(sig)}},
		})
		if err != nil {
			return nil, err
		}
		layers = append(layers, ocispec.Descriptor{
			MediaType: MediaTypeDSSE, Digest: digest.FromBytes(env), Size: int64(len(env)),
			Annotations: map[string]string{AnnotationSignature: "", AnnotationPredicate: st.PredicateType},
		})
		data = append(data, env)
	}
	return layerImage(layers, data)
}

// pae is DSSE's pre-authentication encoding, what is actually signed.
func pae(payloadType string, payload []byte) []byte {
	return []byte("DSSEv1 " + strconv.Itoa(len(payloadType)) + " " + payloadType + " " +
		strconv.Itoa(len(payload)) + " " + string(payload))
}

// layerImage returns an OCI image of layers (the data, uncompressed) with a
// config listing them as diff IDs, as cosign's signature images have.
func layerImage(layers []ocispec.Descriptor, data [][]byte) (*assemble.Image, error) {
	cfg := ocispec.Image{RootFS: ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{}}}
	for _, l := range layers {
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, l.Digest)
	}
	cfgData, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	m := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(cfgData), Size: int64(len(cfgData))},
		Layers:    layers,
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("signature manifest: %w", err)
	}
	parts := []assemble.Data{{Desc: m.Config, Bytes: cfgData}}
	for i, l := range layers {
		parts = append(parts, assemble.Data{Desc: l, Bytes: data[i]})
	}
	top := ocispec.Descriptor{MediaType: m.MediaType, Digest: digest.FromBytes(raw), Size: int64(len(raw))}
	return assemble.NewDataImage(top, raw, parts...), nil
}
