package assemble

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/trust"
	"github.com/ybuild/ybuild/resolve"
	"github.com/ybuild/ybuild/spec"
)

// Options are the choices of one build that the spec does not hold.
type Options struct {
	// Created is the image's creation time (already resolved from the spec,
	// SOURCE_DATE_EPOCH or the clock by the caller): the mtime of entries
	// with mtime "created" (the default) and of whiteouts. The zero value
	// means the Unix epoch.
	Created time.Time
	// BlobDir is the directory where new layer blobs are written as
	// BlobDir/sha256/<hex>; temporary files are made in it too. It must exist.
	BlobDir string
	// Progress, if set, is told each layer's content size and the bytes
	// copied so far.
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
	// LayerCacheDir, if set, is the layer cache: a layer whose inputs match
	// an earlier build's (the same entries from the same, unchanged source
	// files) is taken from it instead of being written, and a new layer is
	// added to it. Layers with extract entries are not cached.
	LayerCacheDir string
	// RemoteShared says that every output is a push to the shared cache's
	// registry: a layer found in Shared under a record signed by a trusted
	// key (SignedCache) is then not downloaded; its sources' tar is only
	// hashed against the record's DiffID, and the push mounts the blob
	// from the cache repository (or, if the registry refuses, copies it
	// from there, verified). Such a layer has no local file and no local
	// layer cache record.
	RemoteShared bool
	// RecordFiles hashes every regular file (SHA-256 and SHA-1) as a new
	// layer is written (or a shared-cache layer is checked) and reads the
	// Go build information of executables, for an SBOM: Image.Files
	// returns the lists.
	RecordFiles bool
	// Skip lists ybuild's own files, which a copied tree or a glob never
	// takes in: the outputs and the work directory of this build (so that
	// an output inside a copied src does not change the next build). A
	// path ending in "*" skips every name in its directory that starts with
	// the rest ("DIR/.ybuild-work-*"). Relative paths are relative to the
	// working directory.
	Skip []string
	// Trust, if set, holds the records of blob files already verified: a
	// cached layer blob is then not hashed again while provably unchanged,
	// and the blobs written are noted. Nil hashes every cached blob used.
	Trust *trust.Store
	// Shared, if set, is a layer cache shared between machines, asked when
	// the local cache (LayerCacheDir, required) misses.
	Shared SharedCache
	// Upload, if set, sends each new layer blob to a registry output while
	// it is written (see Uploader).
	Upload Uploader
}

// fill returns o with defaults: Created the Unix epoch when zero, in UTC and
// whole seconds; Concurrency GOMAXPROCS. It is the only place defaults of
// the build's options are applied.
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

// platformImage is one platform's part of a build.
type platformImage struct {
	baseLayers []ocispec.Descriptor
	newLayers  []layerBlob
	config     []byte
	configDesc ocispec.Descriptor
	manifest   []byte
	desc       ocispec.Descriptor
}

// Build builds the image b describes on top of base: for each of the base's
// images (platforms) it writes the spec's layers (substituted for that
// platform) into opts.BlobDir, patches the config, and writes a manifest;
// with several platforms, or when the spec sets platforms, an index over
// them. Base layers are referenced, never recompressed. The result depends
// only on its inputs: building twice gives the same digests.
func Build(ctx context.Context, b *spec.Build, base *resolve.Base, opts Options) (*Image, error) {
	if err := checkInputs(b, base, opts); err != nil {
		return nil, err
	}
	opts = opts.fill()
	index, err := wantIndex(opts, b, len(base.Images))
	if err != nil {
		return nil, err
	}
	lw, err := newLayerWriter(b, base, opts)
	if err != nil {
		return nil, err
	}
	plats := make([]*platformImage, 0, len(base.Images))
	for _, bi := range base.Images {
		p, err := buildPlatform(ctx, b, base, bi, lw, opts)
		if err != nil {
			return nil, placeError(b, platforms.Format(bi.Platform), err)
		}
		plats = append(plats, p)
	}
	return gather(b, base, plats, index, opts)
}

// checkInputs rejects builds that cannot start.
func checkInputs(b *spec.Build, base *resolve.Base, opts Options) error {
	switch {
	case b == nil:
		return errors.New("build: no spec")
	case base == nil || len(base.Images) == 0:
		return errors.New("build: base has no images")
	case opts.BlobDir == "":
		return errors.New("build: no blob directory")
	case b.Format == spec.FormatDocker && b.Compression == spec.CompressionZstd:
		return fmt.Errorf("format docker with compression zstd: docker schema2 has no zstd layers: %w", ErrUnsupported)
	}
	return nil
}

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

// buildPlatform writes one platform's layers, config and manifest.
func buildPlatform(ctx context.Context, b *spec.Build, base *resolve.Base, bi resolve.Image, lw *layerWriter, opts Options) (*platformImage, error) {
	pb, err := b.ForPlatform(bi.Platform)
	if err != nil {
		return nil, err
	}
	p := &platformImage{}
	for _, l := range bi.Manifest.Layers {
		d, err := convertLayer(l, pb.Format)
		if err != nil {
			return nil, err
		}
		p.baseLayers = append(p.baseLayers, d)
	}
	dirs, err := lw.baseDirs(ctx, base, bi, pb.Layers)
	if err != nil {
		return nil, err
	}
	if p.newLayers, err = lw.writeAll(ctx, pb.Layers, dirs, platforms.Format(bi.Platform)); err != nil {
		return nil, err
	}
	if err := p.writeConfig(pb, bi, opts.Created); err != nil {
		return nil, err
	}
	created := opts.Created.Format(time.RFC3339)
	p.manifest, p.desc, err = buildManifest(manifestInput{
		format:      pb.Format,
		config:      p.configDesc,
		layers:      p.layers(),
		annotations: annotations(pb, base.Name, bi.Desc.Digest, created),
	})
	if err != nil {
		return nil, err
	}
	plat := bi.Platform
	p.desc.Platform = &plat
	return p, nil
}

// writeConfig builds the platform's config and its descriptor.
func (p *platformImage) writeConfig(pb *spec.Build, bi resolve.Image, created time.Time) error {
	in := configInput{
		base: bi.Config, spec: pb.Config, platform: bi.Platform, created: created,
		history: newHistory(pb.Layers, pb.Config, created),
	}
	for _, l := range p.newLayers {
		in.diffIDs = append(in.diffIDs, l.DiffID)
	}
	cfg, err := buildConfig(in)
	if ee := (*envError)(nil); errors.As(err, &ee) {
		return ee.place(pb)
	}
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	p.config, p.configDesc = cfg, descriptor(typesFor(pb.Format).config, cfg)
	return nil
}

// layers returns the manifest's layer descriptors: the base's, then the new ones.
func (p *platformImage) layers() []ocispec.Descriptor {
	out := append([]ocispec.Descriptor{}, p.baseLayers...)
	for _, l := range p.newLayers {
		out = append(out, l.Desc)
	}
	return out
}

// gather adds every blob to a new Image in push order (layers, configs,
// manifests, index) and sets its top-level descriptor.
func gather(b *spec.Build, base *resolve.Base, plats []*platformImage, index bool, opts Options) (*Image, error) {
	im := &Image{Manifests: []Manifest{}}
	for _, p := range plats {
		for _, l := range p.baseLayers {
			im.add(blob{desc: l, base: base.Blobs})
		}
		for _, l := range p.newLayers {
			b := blob{desc: l.Desc, path: l.Path, files: l.Files, diffID: l.DiffID, recorded: l.Recorded}
			if l.Source != nil {
				b.path, b.base = "", l.Source // from the shared cache: mountable
			}
			im.add(b)
		}
	}
	for _, p := range plats {
		im.add(blob{desc: p.configDesc, data: p.config})
	}
	var descs []ocispec.Descriptor
	for _, p := range plats {
		im.add(blob{desc: p.desc, data: p.manifest})
		im.Manifests = append(im.Manifests, Manifest{Desc: p.desc, Config: p.configDesc, Layers: p.layers()})
		descs = append(descs, p.desc)
	}
	if !index {
		im.Desc = plats[0].desc
		return im, nil
	}
	ann := annotations(b, base.Name, base.Digest, opts.Created.Format(time.RFC3339))
	data, desc, err := buildIndex(b.Format, descs, ann)
	if err != nil {
		return nil, err
	}
	im.add(blob{desc: desc, data: data})
	im.Desc = desc
	return im, nil
}
