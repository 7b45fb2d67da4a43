package assemble

import (
	"fmt"
	"maps"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/spec"
)

// mediaTypes are the manifest, index and config media types of a format.
type mediaTypes struct {
	manifest, index, config string
}

// typesFor returns the JSON media types of format f.
func typesFor(f spec.Format) mediaTypes {
	if f == spec.FormatDocker {
		return mediaTypes{imageio.MediaTypeDockerManifest, imageio.MediaTypeDockerManifestList, imageio.MediaTypeDockerConfig}
	}
	return mediaTypes{ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageIndex, ocispec.MediaTypeImageConfig}
}

// toOCILayer maps Docker layer media types to their OCI equivalents; the
// blob is the same, only the JSON changes. Others are kept.
var toOCILayer = map[string]string{
	imageio.MediaTypeDockerLayer:        ocispec.MediaTypeImageLayer,
	imageio.MediaTypeDockerLayerGzip:    ocispec.MediaTypeImageLayerGzip,
	imageio.MediaTypeDockerLayerZstd:    ocispec.MediaTypeImageLayerZstd,
	imageio.MediaTypeDockerForeignLayer: ocispec.MediaTypeImageLayerNonDistributableGzip, //nolint:staticcheck // the OCI equivalent
}

// toDockerLayer maps layer media types that Docker schema2 can express.
var toDockerLayer = map[string]string{
	ocispec.MediaTypeImageLayer:                     imageio.MediaTypeDockerLayer,
	ocispec.MediaTypeImageLayerGzip:                 imageio.MediaTypeDockerLayerGzip,
	ocispec.MediaTypeImageLayerNonDistributableGzip: imageio.MediaTypeDockerForeignLayer, //nolint:staticcheck // the Docker equivalent
	imageio.MediaTypeDockerLayer:                    imageio.MediaTypeDockerLayer,
	imageio.MediaTypeDockerLayerGzip:                imageio.MediaTypeDockerLayerGzip,
	imageio.MediaTypeDockerForeignLayer:             imageio.MediaTypeDockerForeignLayer,
}

// convertLayer returns a base layer descriptor with the media type of format
// f. Docker schema2 has no zstd or other OCI-only layer type.
func convertLayer(d ocispec.Descriptor, f spec.Format) (ocispec.Descriptor, error) {
	if f == spec.FormatDocker {
		mt, ok := toDockerLayer[d.MediaType]
		if !ok {
			return d, fmt.Errorf("base layer %s: media type %s has no docker schema2 equivalent, use format: oci: %w", d.Digest, d.MediaType, ErrUnsupported)
		}
		d.MediaType = mt
		return d, nil
	}
	if mt, ok := toOCILayer[d.MediaType]; ok {
		d.MediaType = mt
	}
	return d, nil
}

// manifestInput is everything a platform's manifest depends on.
type manifestInput struct {
	format      spec.Format
	config      ocispec.Descriptor
	layers      []ocispec.Descriptor
	annotations map[string]string
}

// buildManifest returns the manifest JSON and its descriptor. Docker
// schema2 manifests carry no annotations.
func buildManifest(in manifestInput) ([]byte, ocispec.Descriptor, error) {
	mt := typesFor(in.format)
	m := ocispec.Manifest{MediaType: mt.manifest, Config: in.config, Layers: append([]ocispec.Descriptor{}, in.layers...)}
	m.SchemaVersion = 2
	if in.format != spec.FormatDocker && len(in.annotations) > 0 {
		m.Annotations = in.annotations
	}
	data, err := marshal(m)
	if err != nil {
		return nil, ocispec.Descriptor{}, fmt.Errorf("marshal manifest: %w", err)
	}
	return data, descriptor(mt.manifest, data), nil
}

// descriptor returns the descriptor of data.
func descriptor(mediaType string, data []byte) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}
}

// annotations returns the spec's annotations over created and, unless the
// base is scratch, base.name and base.digest.
func annotations(b *spec.Build, baseName string, baseDigest digest.Digest, created string) map[string]string {
	a := map[string]string{ocispec.AnnotationCreated: created}
	if baseName != "" {
		a[ocispec.AnnotationBaseImageName] = baseName
	}
	if baseDigest != "" {
		a[ocispec.AnnotationBaseImageDigest] = baseDigest.String()
	}
	maps.Copy(a, b.Annotations)
	return a
}

// buildIndex returns the index JSON over manifests and its descriptor.
// Docker manifest lists carry no annotations.
func buildIndex(format spec.Format, manifests []ocispec.Descriptor, annotations map[string]string) ([]byte, ocispec.Descriptor, error) {
	mt := typesFor(format)
	idx := ocispec.Index{MediaType: mt.index, Manifests: append([]ocispec.Descriptor{}, manifests...)}
	idx.SchemaVersion = 2
	if format != spec.FormatDocker && len(annotations) > 0 {
		idx.Annotations = annotations
	}
	data, err := marshal(idx)
	if err != nil {
		return nil, ocispec.Descriptor{}, fmt.Errorf("marshal index: %w", err)
	}
	return data, descriptor(mt.index, data), nil
}
