package assemble

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/trust"
	"github.com/ybuild/ybuild/resolve"
)

// Options are the choices of one build that the spec does not hold.
type Options struct {
	// Created is the image's creation time (already resolved from the spec,
	// SOURCE_DATE_EPOCH or the clock by the caller). The zero value means the Unix epoch.
	Created time.Time
	// BlobDir is the directory where new layer blobs are written as
	// BlobDir/sha256/<hex>. It must exist.
	BlobDir string
	// Progress, if set, reports layer creation.
	Progress resolve.Progress
	// ForceIndex makes the result an index even for one platform and a spec
	// without platforms.
	ForceIndex bool
	// SingleManifest makes the result a single manifest even when the spec
	// sets platforms (a --platform flag narrowed the build to one); building
	// several platforms then fails. Without ForceIndex or SingleManifest the
	// result is an index when the spec sets platforms or the base gave
	// several images.
	SingleManifest bool
	// Concurrency bounds how many layers of one platform are written at
	// once. The default (0) is GOMAXPROCS.
	Concurrency int
	// LayerCacheDir, if set, keeps and reuses layer blobs across builds
	// (LayerEnv.CacheDir).
	LayerCacheDir string
	// Trust, if set, holds the records of blob files already verified: a
	// cached layer blob is then not hashed again while provably unchanged,
	// and the blobs written are noted. Nil hashes every cached blob used.
	Trust *trust.Store
	// Shared, if set, is a layer cache shared between machines
	// (LayerEnv.Shared); it needs LayerCacheDir.
	Shared SharedCache
}

// fill returns o with defaults: Created the Unix epoch when zero, in UTC and
// whole seconds; Concurrency GOMAXPROCS.
func (o Options) fill() Options {
	if o.Created.IsZero() {
		o.Created = time.Unix(0, 0)
	}
	o.Created = o.Created.UTC().Truncate(time.Second)
	if o.Concurrency <= 0 {
		o.Concurrency = runtime.GOMAXPROCS(0)
	}
	return o
}

// Image is a built image: its top-level descriptor and every blob it references.
type Image struct {
	// Desc is the top-level descriptor: an index when the spec sets
	// platforms (see Options.Index), else the only manifest, platform set.
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

// Bytes returns the content of an in-memory blob (manifests, configs, the
// index), or nil for layers.
func (im *Image) Bytes(desc ocispec.Descriptor) []byte {
	return im.blobs[desc.Digest].data
}

// AddData adds an in-memory blob (a manifest, config or index) to the image.
// Blobs keep the order they are added in; adding a digest twice keeps the first.
func (im *Image) AddData(desc ocispec.Descriptor, data []byte) {
	im.add(blob{desc: desc, data: data})
}

// AddFile adds a blob held in a local file (a new layer).
func (im *Image) AddFile(desc ocispec.Descriptor, path string) {
	im.add(blob{desc: desc, path: path})
}

// AddBase adds a blob read from the base image.
func (im *Image) AddBase(desc ocispec.Descriptor, src resolve.BlobSource) {
	im.add(blob{desc: desc, base: src})
}

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
