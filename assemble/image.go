package assemble

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/resolve"
)

// Image is a built image: its top-level descriptor and every blob it
// references. It is read-only for callers: Build fills it in.
type Image struct {
	// Desc is the top-level descriptor: an index when the result is one
	// (see Options.ForceIndex and Options.SingleManifest), else the only
	// manifest, platform set.
	Desc ocispec.Descriptor
	// Manifests are the per-platform image manifests, in order.
	Manifests []Manifest
	// blobs holds every blob reachable from Desc, keyed by digest.
	blobs map[digest.Digest]blob
	// order is the push order: layers, configs, manifests, then the index.
	order []digest.Digest
}

// Manifest is one platform's image manifest in a built image.
type Manifest struct {
	// Desc is the manifest's descriptor, with its platform set.
	Desc ocispec.Descriptor
	// Config is the config blob's descriptor.
	Config ocispec.Descriptor
	// Layers are the layer descriptors, base first.
	Layers []ocispec.Descriptor
}

// blob is one blob of an Image: in memory, a local file, or read from the base.
type blob struct {
	desc ocispec.Descriptor
	data []byte
	path string
	base resolve.BlobSource
	// files, diffID and recorded: a new layer's files (layer_files.go).
	files    []File
	diffID   digest.Digest
	recorded bool
}

// Blobs returns every blob of the image in push order: layers, configs,
// manifests, then the index.
func (im *Image) Blobs() []ocispec.Descriptor {
	out := make([]ocispec.Descriptor, 0, len(im.order))
	for _, d := range im.order {
		out = append(out, im.blobs[d].desc)
	}
	return out
}

// Open returns a reader of the blob with desc's digest.
func (im *Image) Open(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	b, ok := im.blobs[desc.Digest]
	if !ok {
		return nil, fmt.Errorf("blob %s: %w", desc.Digest, ErrUnknownBlob)
	}
	return b.open(ctx)
}

// Path returns the local file holding the blob, or "" when it has none.
func (im *Image) Path(desc ocispec.Descriptor) string {
	b, ok := im.blobs[desc.Digest]
	if !ok {
		return ""
	}
	if b.path != "" {
		return b.path
	}
	if p, ok := b.base.(resolve.Pather); ok {
		return p.Path(b.desc)
	}
	return ""
}

// Files returns the regular files of a layer this build wrote or took
// from the shared cache, and its DiffID, recorded from the sources' tar
// with Options.RecordFiles; ok is false for other layers (from the local
// layer cache, from the base, or not recorded).
func (im *Image) Files(desc ocispec.Descriptor) (files []File, diffID digest.Digest, ok bool) {
	b := im.blobs[desc.Digest]
	return b.files, b.diffID, b.recorded
}

// Bytes returns the content of an in-memory blob (manifests, configs, the
// index), or nil for layers.
func (im *Image) Bytes(desc ocispec.Descriptor) []byte {
	return im.blobs[desc.Digest].data
}

// Source returns the base blob source a blob of the image is read from, or
// nil when the blob is new (a built layer, config or manifest) or unknown.
// Registry writers use it to mount base layers instead of uploading them.
func (im *Image) Source(desc ocispec.Descriptor) resolve.BlobSource {
	return im.blobs[desc.Digest].base
}

// add adds a blob: in memory (a manifest, config or index), in a local file
// (a new layer) or read from the base. Blobs keep the order they are added
// in; adding a digest twice keeps the first.
func (im *Image) add(b blob) {
	if im.blobs == nil {
		im.blobs = map[digest.Digest]blob{}
	}
	if _, ok := im.blobs[b.desc.Digest]; ok {
		return
	}
	im.blobs[b.desc.Digest] = b
	im.order = append(im.order, b.desc.Digest)
}

// open returns a reader of the blob from wherever it lives.
func (b blob) open(ctx context.Context) (io.ReadCloser, error) {
	switch {
	case b.data != nil:
		return io.NopCloser(bytes.NewReader(b.data)), nil
	case b.path != "":
		f, err := os.Open(b.path)
		if err != nil {
			return nil, fmt.Errorf("open blob %s: %w", b.desc.Digest, err)
		}
		return f, nil
	case b.base != nil:
		return b.base.Open(ctx, b.desc)
	}
	return nil, fmt.Errorf("blob %s: %w", b.desc.Digest, ErrUnknownBlob)
}

// Data is one in-memory blob of an image made by NewDataImage.
type Data struct {
	// Desc describes the blob.
	Desc ocispec.Descriptor
	// Bytes is its content.
	Bytes []byte
}

// NewDataImage returns an image whose blobs all live in memory (an
// artifact, a signature image, a referrers index): parts in push order,
// then the top-level manifest or index raw, described by top.
func NewDataImage(top ocispec.Descriptor, raw []byte, parts ...Data) *Image {
	im := &Image{Desc: top}
	for _, p := range parts {
		im.add(blob{desc: p.Desc, data: p.Bytes})
	}
	im.add(blob{desc: top, data: raw})
	return im
}
