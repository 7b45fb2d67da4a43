package main

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/attest"
	"github.com/ybuild/ybuild/location"
	"github.com/ybuild/ybuild/output"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/resolve"
	"github.com/ybuild/ybuild/sign"
)

// maxAttachedManifest bounds the attached manifests and index.json read.
const maxAttachedManifest = 4 << 20

// attached is one manifest attached to an image manifest.
type attached struct {
	// Subject is the manifest it is attached to.
	Subject digest.Digest `json:"subject"`
	// Kind is sbom, provenance, signature, attestation or artifact.
	Kind string `json:"kind"`
	// Digest is the attached manifest's digest; ArtifactType its type.
	Digest       digest.Digest `json:"digest"`
	ArtifactType string        `json:"artifactType,omitempty"`
	// Tag is the cosign tag it was found under, in a registry.
	Tag string `json:"tag,omitempty"`
	// Document is the descriptor of the SBOM or provenance document.
	Document *ocispec.Descriptor `json:"document,omitempty"`
}

// maxSBOMReferrers bounds the SPDX referrers of one manifest read when
// looking for its SBOM: a registry's referrers list (up to 4 MiB, some
// 20,000 entries) is the registry's to write, and each entry costs a
// request of up to 4 MiB.
const maxSBOMReferrers = 8

// findAttached lists what is attached to the manifests (subjects) of the
// image at loc (oci:, oci-archive: or a registry); a docker archive holds none.
// With sbomsOnly, a registry is asked only for SPDX referrers (the first
// SBOM found of each subject, after at most maxSBOMReferrers tries), not
// for cosign's tags.
// Relative paths are relative to the working directory.
func findAttached(ctx context.Context, s string, base *resolve.Base, reg *registry.Options, subjects []digest.Digest, sbomsOnly bool) ([]attached, error) {
	loc, err := location.Parse(s, location.Base)
	if err != nil {
		return nil, err
	}
	var entries []ocispec.Descriptor
	switch {
	case loc.Kind == location.OCIArchive:
		entries, err = archiveIndex(loc.Path)
	case loc.Kind == location.OCI:
		entries, err = layoutIndex(loc.Path)
	case loc.Kind != location.Registry:
		return nil, nil // scratch, docker archives: nothing attached
	case reg != nil && reg.Offline:
		return nil, nil // attachments are not cached: listing them needs the registry
	default:
		return registryAttached(ctx, loc.Ref, base, reg, subjects, sbomsOnly)
	}
	if err != nil {
		return nil, err
	}
	return localAttached(ctx, base, entries, subjects)
}

// localAttached reads the layout's attached entries: referrers name their
// subject; cosign's kind entries belong to the top-level image.
func localAttached(ctx context.Context, base *resolve.Base, entries []ocispec.Descriptor, subjects []digest.Digest) ([]attached, error) {
	want := map[digest.Digest]bool{}
	for _, s := range subjects {
		want[s] = true
	}
	var out []attached
	for _, e := range entries {
		switch kind := e.Annotations["kind"]; {
		case kind == output.KindSignatures:
			out = append(out, attached{Subject: base.Digest, Kind: "signature", Digest: e.Digest})
		case kind == output.KindAttestations:
			out = append(out, attached{Subject: base.Digest, Kind: "attestation", Digest: e.Digest})
		case e.ArtifactType != "":
			a, ok, err := readReferrer(ctx, base.Blobs, e)
			if err != nil {
				return nil, err
			}
			if ok && want[a.Subject] {
				out = append(out, a)
			}
		}
	}
	return out, nil
}

// readReferrer reads an artifact manifest: its subject and document.
func readReferrer(ctx context.Context, blobs resolve.BlobSource, desc ocispec.Descriptor) (attached, bool, error) {
	data, err := readBlob(ctx, blobs, desc)
	if err != nil {
		return attached{}, false, fmt.Errorf("referrer %s: %w", desc.Digest, err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(data, &m); err != nil || m.Subject == nil {
		return attached{}, false, nil // not a referrer
	}
	a := attached{Subject: m.Subject.Digest, Digest: desc.Digest, ArtifactType: m.ArtifactType, Kind: kindOf(m.ArtifactType)}
	if len(m.Layers) > 0 {
		a.Document = &m.Layers[0]
	}
	return a, true, nil
}

// kindOf names an artifact type.
func kindOf(artifactType string) string {
	switch artifactType {
	case attest.MediaTypeSPDX:
		return "sbom"
	case attest.MediaTypeInToto:
		return "provenance"
	}
	return "artifact"
}

// readBlob reads a small blob (a manifest or document), verified.
func readBlob(ctx context.Context, blobs resolve.BlobSource, desc ocispec.Descriptor) ([]byte, error) {
	if desc.Size > maxAttachedManifest {
		return nil, fmt.Errorf("%s: %d bytes, more than %d", desc.Digest, desc.Size, maxAttachedManifest)
	}
	rc, err := blobs.Open(ctx, desc)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// layoutIndex reads DIR/index.json.
func layoutIndex(dir string) ([]ocispec.Descriptor, error) {
	data, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		return nil, err
	}
	return parseIndex(data)
}

// archiveIndex reads index.json from an OCI archive.
func archiveIndex(file string) ([]ocispec.Descriptor, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: no index.json", file)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if strings.TrimPrefix(h.Name, "./") == "index.json" {
			data, err := io.ReadAll(io.LimitReader(tr, maxAttachedManifest))
			if err != nil {
				return nil, err
			}
			return parseIndex(data)
		}
	}
}

// parseIndex returns an index's entries.
func parseIndex(data []byte) ([]ocispec.Descriptor, error) {
	var idx ocispec.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("index.json: %w", err)
	}
	return idx.Manifests, nil
}

// registryAttached lists each subject's referrers (the API, else the
// referrers tag) and cosign's .sig and .att tags; with sbomsOnly, each
// subject's first SBOM only.
func registryAttached(ctx context.Context, ref string, base *resolve.Base, reg *registry.Options, subjects []digest.Digest, sbomsOnly bool) ([]attached, error) {
	r, err := registry.ParseReference(ref)
	if err != nil {
		return nil, err
	}
	repo := registry.Reference{Domain: r.Domain, Path: r.Path}
	sess, err := registry.NewSession(ctx, reg, repo)
	if err != nil {
		return nil, err
	}
	f, err := sess.Resolver.Fetcher(ctx, repo.String())
	if err != nil {
		return nil, sess.Explain("referrers", err)
	}
	var out []attached
	for _, s := range subjects {
		if rf, ok := f.(remotes.ReferrersFetcher); ok {
			found, err := fetchReferrers(ctx, sess, rf, base.Blobs, s, sbomsOnly)
			if err != nil {
				return nil, err
			}
			out = append(out, found...)
		}
		if sbomsOnly {
			continue
		}
		for _, kt := range [][2]string{{"signature", sign.SigTag(s)}, {"attestation", sign.AttTag(s)}} {
			kind, tag := kt[0], kt[1]
			t := registry.Reference{Domain: r.Domain, Path: r.Path, Tag: tag}
			_, desc, err := sess.Resolver.Resolve(ctx, t.String())
			if errdefs.IsNotFound(err) {
				continue
			}
			if err != nil {
				return nil, sess.Explain("resolve", err)
			}
			out = append(out, attached{Subject: s, Kind: kind, Digest: desc.Digest, Tag: tag})
		}
	}
	return out, nil
}

// fetchReferrers reads the referrers of subject s; with sbomsOnly only
// those listed as SPDX, until the first SBOM of s, at most
// maxSBOMReferrers of them.
func fetchReferrers(ctx context.Context, sess *registry.Session, rf remotes.ReferrersFetcher, blobs resolve.BlobSource, s digest.Digest, sbomsOnly bool) ([]attached, error) {
	var opts []remotes.FetchReferrersOpt
	if sbomsOnly {
		opts = append(opts, remotes.WithReferrerArtifactTypes(attest.MediaTypeSPDX))
	}
	descs, err := rf.FetchReferrers(ctx, s, opts...)
	if err != nil && !errdefs.IsNotFound(err) {
		return nil, sess.Explain("referrers", err)
	}
	var out []attached
	tries := 0
	for _, d := range descs {
		if sbomsOnly && (d.ArtifactType != attest.MediaTypeSPDX || tries == maxSBOMReferrers) {
			continue
		}
		tries++
		a, ok, err := readReferrer(ctx, blobs, d)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		out = append(out, a)
		if sbomsOnly && a.Kind == "sbom" && a.Subject == s && a.Document != nil {
			break
		}
	}
	return out, nil
}
