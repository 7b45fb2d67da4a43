package attest

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/opencontainers/go-digest"
)

// The in-toto statement and SLSA v1.0 provenance are hand-written structs
// rather than github.com/in-toto/attestation's Go bindings: those are
// protobuf messages whose protojson output deliberately varies its
// whitespace from run to run, and ybuild's documents must be byte-identical
// across builds. The field names follow the published JSON schemas.

// MediaTypeInToto is the media type of an in-toto statement, also the
// artifact type of the provenance referrer.
const MediaTypeInToto = "application/vnd.in-toto+json"

// StatementType is the in-toto statement type.
const StatementType = "https://in-toto.io/Statement/v1"

// PredicateSLSA is the SLSA v1.0 provenance predicate type (what
// `cosign verify-attestation --type slsaprovenance1` selects).
const PredicateSLSA = "https://slsa.dev/provenance/v1"

// BuildType identifies how ybuild's build definition is to be read.
const BuildType = "https://ybuild.dev/buildtypes/ybuild/v1"

// Statement is an in-toto v1 statement.
type Statement struct {
	Type          string          `json:"_type"`
	Subject       []Subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

// Subject is one artifact a statement is about.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// ProvenanceInput is what the provenance of a build records.
type ProvenanceInput struct {
	// Name is the image's fully qualified name without tag.
	Name string
	// Subjects are the top-level digest and every platform manifest digest.
	Subjects []digest.Digest
	// SpecPath is the spec's path as given; SpecDigest the digest of its bytes.
	SpecPath   string
	SpecDigest digest.Digest
	// LockPath and LockDigest name the lockfile that pinned the base, if any.
	LockPath   string
	LockDigest digest.Digest
	// Args are the --arg overrides; Platforms the --platform selection.
	Args      map[string]string
	Platforms []string
	// Base is the base reference; BaseDigests the resolved base digests
	// (the top-level one first, then each platform's).
	Base        string
	BaseDigests []digest.Digest
	// Version is ybuild's version; GitCommit and GitRemote describe the
	// spec's checkout when known.
	Version, GitCommit, GitRemote string
}

// provenance is the SLSA v1.0 predicate.
type provenance struct {
	BuildDefinition buildDefinition `json:"buildDefinition"`
	RunDetails      runDetails      `json:"runDetails"`
}

type buildDefinition struct {
	BuildType            string             `json:"buildType"`
	ExternalParameters   externalParameters `json:"externalParameters"`
	InternalParameters   internalParameters `json:"internalParameters"`
	ResolvedDependencies []resourceDesc     `json:"resolvedDependencies"`
}

type externalParameters struct {
	Spec      resourceDesc      `json:"spec"`
	Lock      *resourceDesc     `json:"lock,omitempty"`
	Args      map[string]string `json:"args,omitempty"`
	Platforms []string          `json:"platforms,omitempty"`
}

type internalParameters struct {
	YbuildVersion string `json:"ybuildVersion"`
}

type resourceDesc struct {
	URI    string            `json:"uri,omitempty"`
	Name   string            `json:"name,omitempty"`
	Digest map[string]string `json:"digest,omitempty"`
}

type runDetails struct {
	Builder builder `json:"builder"`
}

type builder struct {
	ID      string            `json:"id"`
	Version map[string]string `json:"version,omitempty"`
}

// Provenance returns the SLSA v1.0 in-toto statement of a build. It holds
// no wall-clock time: the same inputs give the same bytes.
func Provenance(in ProvenanceInput) ([]byte, error) {
	p := provenance{
		BuildDefinition: buildDefinition{
			BuildType: BuildType,
			ExternalParameters: externalParameters{
				Spec:      resourceDesc{URI: in.SpecPath, Digest: digestMap(in.SpecDigest)},
				Args:      in.Args,
				Platforms: in.Platforms,
			},
			InternalParameters:   internalParameters{YbuildVersion: in.Version},
			ResolvedDependencies: dependencies(in),
		},
		RunDetails: runDetails{Builder: builder{
			ID: "https://ybuild.dev/ybuild", Version: map[string]string{"ybuild": in.Version},
		}},
	}
	if in.LockPath != "" {
		p.BuildDefinition.ExternalParameters.Lock = &resourceDesc{URI: in.LockPath, Digest: digestMap(in.LockDigest)}
	}
	pred, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return statement(in.Name, in.Subjects, PredicateSLSA, pred)
}

// dependencies lists the base (each resolved digest) and the git commit.
func dependencies(in ProvenanceInput) []resourceDesc {
	out := []resourceDesc{}
	seen := map[digest.Digest]bool{}
	for _, d := range in.BaseDigests {
		if d == "" || seen[d] {
			continue
		}
		seen[d] = true
		out = append(out, resourceDesc{URI: in.Base, Digest: digestMap(d)})
	}
	if in.GitCommit != "" {
		uri := "git+" + in.GitRemote
		if in.GitRemote == "" {
			uri = ""
		}
		out = append(out, resourceDesc{URI: uri, Name: "source", Digest: map[string]string{"gitCommit": in.GitCommit}})
	}
	return out
}

// Statement wraps a predicate in an in-toto statement about subjects
// (deduplicated, in the order given).
func statement(name string, subjects []digest.Digest, predicateType string, predicate []byte) ([]byte, error) {
	s := Statement{Type: StatementType, PredicateType: predicateType, Predicate: predicate}
	seen := map[digest.Digest]bool{}
	for _, d := range subjects {
		if !seen[d] {
			seen[d] = true
			s.Subject = append(s.Subject, Subject{Name: name, Digest: digestMap(d)})
		}
	}
	return json.Marshal(s)
}

// SBOMStatement wraps an SPDX document in an in-toto statement about the
// manifest it describes, the form cosign attestations take. sbom must be
// compact JSON as json.Marshal writes it (what SBOM returns): it is copied
// into the statement as is, the bytes json.Marshal would give after
// compacting it again, without parsing megabytes twice.
func SBOMStatement(name string, manifest digest.Digest, sbom []byte) ([]byte, error) {
	head, err := statement(name, []digest.Digest{manifest}, PredicateSPDX, json.RawMessage("null"))
	if err != nil {
		return nil, err
	}
	const tail = "null}" // the predicate is the statement's last field
	if !bytes.HasSuffix(head, []byte(tail)) || len(sbom) == 0 {
		return nil, errors.New("sbom statement: unexpected encoding")
	}
	out := make([]byte, 0, len(head)-len(tail)+len(sbom)+1)
	out = append(out, head[:len(head)-len(tail)]...)
	out = append(out, sbom...)
	return append(out, '}'), nil
}

// digestMap is an in-toto digest set: {"sha256": "<hex>"}.
func digestMap(d digest.Digest) map[string]string {
	if d == "" {
		return nil
	}
	return map[string]string{d.Algorithm().String(): d.Encoded()}
}
