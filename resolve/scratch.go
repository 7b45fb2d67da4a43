package resolve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/location"
)

// scratchConfig is the minimal config of a scratch image, keys in this order.
type scratchConfig struct {
	Architecture string         `json:"architecture"`
	OS           string         `json:"os"`
	OSVersion    string         `json:"os.version,omitempty"`
	OSFeatures   []string       `json:"os.features,omitempty"`
	Variant      string         `json:"variant,omitempty"`
	RootFS       ocispec.RootFS `json:"rootfs"`
}

func init() {
	register(location.Scratch, func(_ context.Context, _ location.Location, opts Options) (*Base, error) {
		b, err := openScratch(opts)
		if err != nil {
			return nil, fmt.Errorf("base scratch: %w", err)
		}
		return b, nil
	})
}

// openScratch returns an empty image per requested platform (default linux/amd64).
func openScratch(opts Options) (*Base, error) {
	if opts.AllPlatforms {
		return nil, fmt.Errorf("platforms: all needs an index base; scratch has no platforms, so list them: %w", ErrNoMatchingPlatform)
	}
	want := opts.Platforms
	if len(want) == 0 {
		want = []ocispec.Platform{DefaultPlatform}
	}
	b := &Base{Blobs: emptySource{}}
	seen := map[string]bool{}
	for _, p := range want {
		key := platforms.FormatAll(platforms.Normalize(p))
		if seen[key] {
			continue
		}
		seen[key] = true
		im, err := scratchImage(p)
		if err != nil {
			return nil, err
		}
		b.Images = append(b.Images, im)
	}
	return b, nil
}

// scratchImage returns the empty image of platform p.
func scratchImage(p ocispec.Platform) (Image, error) {
	if p.OS == "" || p.Architecture == "" {
		return Image{}, fmt.Errorf("scratch: platform %q: %w: os and architecture are required", platforms.Format(p), ErrNoMatchingPlatform)
	}
	cfg := scratchConfig{
		Architecture: p.Architecture, OS: p.OS, OSVersion: p.OSVersion,
		OSFeatures: p.OSFeatures, Variant: p.Variant,
		RootFS: ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{}},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(cfg); err != nil {
		return Image{}, fmt.Errorf("scratch config: %w", err)
	}
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Layers: []ocispec.Descriptor{}}
	m.SchemaVersion = 2
	return Image{Platform: p, Manifest: m, Config: bytes.TrimSuffix(buf.Bytes(), []byte("\n"))}, nil
}
