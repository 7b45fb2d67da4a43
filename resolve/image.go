package resolve

import (
	"context"
	"encoding/json"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/imageio"
)

// platformFields is the platform part of an image config.
type platformFields struct {
	Architecture string   `json:"architecture"`
	OS           string   `json:"os"`
	OSVersion    string   `json:"os.version,omitempty"`
	OSFeatures   []string `json:"os.features,omitempty"`
	Variant      string   `json:"variant,omitempty"`
}

// parseImage parses a manifest and reads its config. The platform is the
// descriptor's (an index entry's), else the config's.
func parseImage(ctx context.Context, src BlobSource, desc ocispec.Descriptor, data []byte) (Image, error) {
	var m ocispec.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return Image{}, fmt.Errorf("manifest %s: %w: %w", desc.Digest, ErrInvalidBase, err)
	}
	if m.SchemaVersion != 2 {
		return Image{}, fmt.Errorf("manifest %s: %w: schemaVersion %d", desc.Digest, ErrInvalidBase, m.SchemaVersion)
	}
	if !imageio.IsImageConfig(m.Config.MediaType) {
		return Image{}, fmt.Errorf("manifest %s: %w: config media type %q is not an image config", desc.Digest, ErrInvalidBase, m.Config.MediaType)
	}
	if m.MediaType == "" {
		m.MediaType = desc.MediaType
	}
	if desc.MediaType == "" {
		desc.MediaType = m.MediaType
	}
	if len(m.Layers) > MaxLayers {
		return Image{}, fmt.Errorf("manifest %s: %w: %d layers, more than %d", desc.Digest, ErrInvalidBase, len(m.Layers), MaxLayers)
	}
	if m.Layers == nil {
		m.Layers = []ocispec.Descriptor{}
	}
	cfg, err := readBlob(ctx, src, m.Config)
	if err != nil {
		return Image{}, fmt.Errorf("config of %s: %w", desc.Digest, err)
	}
	p, err := parsePlatform(cfg)
	if err != nil {
		return Image{}, fmt.Errorf("config %s: %w", m.Config.Digest, err)
	}
	if err := checkConsistent(m, cfg); err != nil {
		return Image{}, fmt.Errorf("manifest %s: %w", desc.Digest, err)
	}
	if desc.Platform != nil {
		p = *desc.Platform
	}
	return Image{Platform: p, Desc: desc, Manifest: m, Config: cfg}, nil
}

// parsePlatform reads architecture, os and variant from a config.
func parsePlatform(cfg []byte) (ocispec.Platform, error) {
	var c platformFields
	if err := json.Unmarshal(cfg, &c); err != nil {
		return ocispec.Platform{}, fmt.Errorf("%w: %w", ErrInvalidBase, err)
	}
	if c.OS == "" || c.Architecture == "" {
		return ocispec.Platform{}, fmt.Errorf("%w: no os or architecture", ErrInvalidBase)
	}
	return ocispec.Platform{
		Architecture: c.Architecture, OS: c.OS, OSVersion: c.OSVersion,
		OSFeatures: c.OSFeatures, Variant: c.Variant,
	}, nil
}
