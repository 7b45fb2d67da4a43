package assemble

import (
	"errors"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/spec"
)

// wantIndex reports whether the build's top-level object is an index.
func wantIndex(opts Options, b *spec.Build, images int) (bool, error) {
	switch {
	case opts.ForceIndex && opts.SingleManifest:
		return false, errors.New("build: ForceIndex and SingleManifest both set")
	case opts.SingleManifest && images > 1:
		return false, fmt.Errorf("build: %d platforms need an index", images)
	case opts.SingleManifest:
		return false, nil
	}
	return opts.ForceIndex || len(b.Platforms) > 0 || images > 1, nil
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
