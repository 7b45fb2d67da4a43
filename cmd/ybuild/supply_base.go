package main

import (
	"context"
	"crypto/sha1" //nolint:gosec // SPDX 2.3 external document references are checked by SHA-1
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/attest"
	"github.com/ybuild/ybuild/location"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/resolve"
	"github.com/ybuild/ybuild/spec"
)

// baseSBOMs finds the SBOMs the base's platform manifests carry as
// referrers, keyed by manifest digest. Not finding them is not an error:
// a warning goes to stderr and the SBOM simply does not reference them.
func baseSBOMs(ctx context.Context, b *spec.Build, base *resolve.Base, reg *registry.Options, stderr io.Writer) map[digest.Digest]*attest.BaseSBOM {
	loc, err := location.Parse(b.Base, location.Base)
	if err != nil || base.Digest == "" || loc.Kind == location.DockerArchive {
		return nil
	}
	subjects := make([]digest.Digest, 0, len(base.Images))
	for _, im := range base.Images {
		subjects = append(subjects, im.Desc.Digest)
	}
	found, err := findAttached(ctx, loc.Abs(b.Dir).String(), base, reg, subjects, true)
	if err != nil {
		fmt.Fprintf(stderr, "ybuild: base %s: cannot list its referrers, the SBOM will not reference the base's own SBOM: %v\n", b.Base, err)
		return nil
	}
	out := map[digest.Digest]*attest.BaseSBOM{}
	for _, a := range found {
		if a.Kind != "sbom" || a.Document == nil || out[a.Subject] != nil {
			continue
		}
		ns, sum, err := readNamespace(ctx, base.Blobs, *a.Document)
		if err != nil {
			fmt.Fprintf(stderr, "ybuild: base %s: cannot read its SBOM %s: %v\n", b.Base, a.Document.Digest, err)
			continue
		}
		if ns != "" {
			out[a.Subject] = &attest.BaseSBOM{Referrer: a.Digest, Namespace: ns, SHA1: sum}
		}
	}
	return out
}

// Bounds on reading a base's SBOM, which whoever publishes the base
// controls: the document's size (it is hashed whole), the bytes searched
// for its documentNamespace (the JSON decoder holds a whole token, so a
// huge string before the key cost its size in memory), and JSON nesting.
const (
	maxBaseSBOM      = 256 << 20
	maxBaseSBOMScan  = 1 << 20
	maxBaseSBOMDepth = 256
)

// readNamespace streams an SPDX JSON document and returns its top-level
// documentNamespace ("" when it has none) and the SHA-1 of its bytes,
// without holding the document in memory: the key must come within the
// first maxBaseSBOMScan bytes (SPDX tools write it near the top), the
// rest is only hashed.
func readNamespace(ctx context.Context, blobs resolve.BlobSource, desc ocispec.Descriptor) (string, string, error) {
	if desc.Size > maxBaseSBOM {
		return "", "", fmt.Errorf("%d bytes, more than %d", desc.Size, maxBaseSBOM)
	}
	rc, err := blobs.Open(ctx, desc)
	if err != nil {
		return "", "", err
	}
	defer rc.Close()
	h := sha1.New() //nolint:gosec // defined by SPDX
	r := io.TeeReader(io.LimitReader(rc, maxBaseSBOM), h)
	ns, err := topLevelString(json.NewDecoder(io.LimitReader(r, maxBaseSBOMScan)), "documentNamespace")
	if err != nil {
		return "", "", fmt.Errorf("no documentNamespace in its first %d bytes: %w", maxBaseSBOMScan, err)
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return "", "", err
	}
	return ns, hex.EncodeToString(h.Sum(nil)), nil
}

// topLevelString returns the string value of key in the JSON object dec
// reads, skipping other values token by token, as soon as it is read.
func topLevelString(dec *json.Decoder, key string) (string, error) {
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", fmt.Errorf("not a JSON object: %v", err)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return "", err
		}
		if k == key {
			v, err := dec.Token()
			if err != nil {
				return "", err
			}
			s, _ := v.(string)
			return s, nil
		}
		if err := skipValue(dec); err != nil {
			return "", err
		}
	}
	return "", nil
}

// skipValue reads one JSON value (scalar, object or array) from dec.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			if depth++; depth > maxBaseSBOMDepth {
				return fmt.Errorf("nested deeper than %d", maxBaseSBOMDepth)
			}
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}
