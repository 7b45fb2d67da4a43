package main

import (
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/ybuild/ybuild/attest"
	"github.com/ybuild/ybuild/output"
)

// outputMetadata is one written output in --metadata-file: the result and
// what was stored with the image there.
type outputMetadata struct {
	output.Result
	// Attachments are the SBOMs, provenance statements, signatures and
	// attestations stored with the image (or written beside a docker
	// archive); empty when there are none.
	Attachments []attachmentMetadata `json:"attachments"`
}

// attachmentMetadata describes one attachment: a manifest stored with the
// image, or a document written beside a docker archive (File).
type attachmentMetadata struct {
	// Kind is sbom, provenance, signature or attestation.
	Kind string `json:"kind"`
	// MediaType, Digest and Size describe the attached manifest (the
	// document itself for a file beside an archive).
	MediaType string        `json:"mediaType"`
	Digest    digest.Digest `json:"digest"`
	Size      int64         `json:"size"`
	// ArtifactType is an OCI 1.1 referrer's artifact type (the document's
	// media type).
	ArtifactType string `json:"artifactType,omitempty"`
	// Subject is the manifest or index it is about.
	Subject digest.Digest `json:"subject,omitempty"`
	// Tag is the tag of a cosign signature or attestation image.
	Tag string `json:"tag,omitempty"`
	// File is the path of a document written beside a docker archive.
	File string `json:"file,omitempty"`
}

// storedMetadata describes the attachments of atts that the writer holding
// h stores with the image.
func storedMetadata(h output.Holds, atts []output.Attachment) []attachmentMetadata {
	out := []attachmentMetadata{}
	for _, a := range atts {
		if a.StoredIn(h) {
			out = append(out, describeAttachment(a))
		}
	}
	return out
}

// describeAttachment describes one attachment.
func describeAttachment(a output.Attachment) attachmentMetadata {
	d := a.Image.Desc
	m := attachmentMetadata{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size, ArtifactType: d.ArtifactType, Tag: a.Tag}
	if a.Subject != nil {
		m.Subject = a.Subject.Digest
	} else if hex, ok := strings.CutPrefix(strings.TrimSuffix(strings.TrimSuffix(a.Tag, ".sig"), ".att"), "sha256-"); ok {
		m.Subject = digest.NewDigestFromEncoded(digest.SHA256, hex)
	}
	switch {
	case d.ArtifactType == attest.MediaTypeSPDX:
		m.Kind = "sbom"
	case d.ArtifactType == attest.MediaTypeInToto:
		m.Kind = "provenance"
	case strings.HasSuffix(a.Tag, ".sig"):
		m.Kind = "signature"
	case strings.HasSuffix(a.Tag, ".att"):
		m.Kind = "attestation"
	default:
		m.Kind = "other"
	}
	return m
}

// fileMetadata describes a document written beside a docker archive.
func fileMetadata(kind, mediaType, path string, data []byte) attachmentMetadata {
	return attachmentMetadata{Kind: kind, MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data)), File: path}
}

// outputsMetadata pairs the results with what each output stored.
func outputsMetadata(results []output.Result, attached [][]attachmentMetadata) []outputMetadata {
	out := make([]outputMetadata, 0, len(results))
	for i, res := range results {
		om := outputMetadata{Result: res, Attachments: []attachmentMetadata{}}
		if i < len(attached) && attached[i] != nil {
			om.Attachments = attached[i]
		}
		out = append(out, om)
	}
	return out
}
