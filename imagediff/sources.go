package imagediff

import (
	"encoding/json"
	"fmt"

	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/resolve"
)

// FromBase is an image that resolve opened (with every platform, or those
// compared), named name.
func FromBase(name string, b *resolve.Base) Image {
	im := Image{Name: name, Digest: b.Digest, Open: b.Blobs.Open}
	for _, bi := range b.Images {
		im.Manifests = append(im.Manifests, Manifest{
			Platform:    platformName(bi.Platform),
			Digest:      bi.Desc.Digest,
			Annotations: bi.Manifest.Annotations,
			Config:      bi.Config,
			Layers:      bi.Manifest.Layers,
		})
	}
	return im
}

// FromBuilt is an image that assemble built, named name.
func FromBuilt(name string, img *assemble.Image) (Image, error) {
	im := Image{Name: name, Digest: img.Desc.Digest, Open: img.Open}
	for _, m := range img.Manifests {
		var man ocispec.Manifest
		if err := json.Unmarshal(img.Bytes(m.Desc), &man); err != nil {
			return Image{}, fmt.Errorf("manifest %s: %w", m.Desc.Digest, err)
		}
		p := ocispec.Platform{}
		if m.Desc.Platform != nil {
			p = *m.Desc.Platform
		}
		im.Manifests = append(im.Manifests, Manifest{
			Platform:    platformName(p),
			Digest:      m.Desc.Digest,
			Annotations: man.Annotations,
			Config:      img.Bytes(m.Config),
			Layers:      m.Layers,
		})
	}
	return im, nil
}

// platformName is the normalised os/arch[/variant].
func platformName(p ocispec.Platform) string {
	return platforms.Format(platforms.Normalize(p))
}
