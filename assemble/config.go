package assemble

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/spec"
)

// object is a JSON object whose values are kept as raw bytes, so that fields
// ybuild does not know survive unchanged.
type object map[string]json.RawMessage

// configInput is everything a platform's new config depends on.
type configInput struct {
	base     []byte
	spec     spec.Config
	platform ocispec.Platform
	diffIDs  []digest.Digest // of the new layers
	history  []ocispec.History
	created  time.Time
}

// buildConfig patches the base config: the spec's config overrides, the
// platform, created, rootfs.diff_ids and history. Unknown fields survive.
func buildConfig(in configInput) ([]byte, error) {
	top, err := parseObject(in.base)
	if err != nil {
		return nil, fmt.Errorf("parse base config: %w", err)
	}
	if err := patchContainerConfig(top, in.spec); err != nil {
		return nil, err
	}
	setPlatform(top, in.platform)
	if err := top.set("created", in.created.Format(time.RFC3339)); err != nil {
		return nil, err
	}
	baseDiffIDs, err := appendDiffIDs(top, in.diffIDs)
	if err != nil {
		return nil, err
	}
	if err := appendHistory(top, baseDiffIDs, in.history); err != nil {
		return nil, err
	}
	return marshal(top)
}

// parseObject parses a JSON object; empty input or null gives an empty one.
func parseObject(data []byte) (object, error) {
	o := object{}
	if len(bytes.TrimSpace(data)) == 0 {
		return o, nil
	}
	if err := json.Unmarshal(data, &o); err != nil {
		return nil, err
	}
	if o == nil {
		o = object{}
	}
	return o, nil
}

// get decodes the value of key into v; a missing key or null leaves v alone.
func (o object) get(key string, v any) error {
	raw, ok := o[key]
	if !ok || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("config field %s: %w", key, err)
	}
	return nil
}

// set encodes v as the value of key.
func (o object) set(key string, v any) error {
	raw, err := marshal(v)
	if err != nil {
		return fmt.Errorf("config field %s: %w", key, err)
	}
	o[key] = raw
	return nil
}

// setPlatform writes architecture, os and variant (removed when empty).
func setPlatform(top object, p ocispec.Platform) {
	top["architecture"], _ = marshal(p.Architecture)
	top["os"], _ = marshal(p.OS)
	delete(top, "variant")
	if p.Variant != "" {
		top["variant"], _ = marshal(p.Variant)
	}
}

// appendDiffIDs appends the new layers' diff ids to rootfs.diff_ids and
// returns the base's.
func appendDiffIDs(top object, add []digest.Digest) ([]digest.Digest, error) {
	var rootfs ocispec.RootFS
	if err := top.get("rootfs", &rootfs); err != nil {
		return nil, err
	}
	base := rootfs.DiffIDs
	rootfs.Type = "layers"
	rootfs.DiffIDs = append(append([]digest.Digest{}, base...), add...)
	return base, top.set("rootfs", rootfs)
}

// marshal encodes v without HTML escaping and without a trailing newline.
// Map keys come out sorted, so the output is stable.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
