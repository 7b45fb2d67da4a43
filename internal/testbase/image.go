package testbase

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Name is the fully qualified name of the base (io.containerd.image.name).
const Name = "docker.io/library/busybox:latest"

// Ref is the layout ref name (org.opencontainers.image.ref.name) of the base.
const Ref = "latest"

// Env is the base config's environment.
var Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "BASE=1"}

// Docker schema2 media types.
const (
	MediaTypeDockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeDockerConfig       = "application/vnd.docker.container.image.v1+json"
	MediaTypeDockerLayerGzip    = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	MediaTypeDockerLayer        = "application/vnd.docker.image.rootfs.diff.tar"
)

// Attestation annotations, as BuildKit writes them.
const (
	AnnotationReferenceType   = "vnd.docker.reference.type"
	AnnotationReferenceDigest = "vnd.docker.reference.digest"
	AttestationManifest       = "attestation-manifest"
)

// Info describes a written base image, for assertions.
type Info struct {
	// Ref is the layout ref name; empty for docker archives.
	Ref string
	// Name is the fully qualified image name.
	Name string
	// Index is the index.json entry (the image index or manifest list); zero
	// for docker archives.
	Index ocispec.Descriptor
	// Images are the platform images in index order: linux/amd64, then
	// linux/arm64/v8 (docker archives: linux/amd64 only).
	Images []Image
	// Attestation is the attestation manifest's index entry; zero when there is none.
	Attestation ocispec.Descriptor
}

// Image is one platform's image of a base.
type Image struct {
	// Platform is the image's platform.
	Platform ocispec.Platform
	// Manifest is the manifest's index entry, platform set; zero for docker archives.
	Manifest ocispec.Descriptor
	// Config is the config descriptor.
	Config ocispec.Descriptor
	// ConfigJSON is the config exactly as stored.
	ConfigJSON []byte
	// Layers are the layer descriptors as stored, base first.
	Layers []ocispec.Descriptor
	// DiffIDs are the uncompressed layer digests.
	DiffIDs []digest.Digest
}

// Image returns the image for platform ("linux/arm64/v8"); it fails the
// test when there is none.
func (i Info) Image(t testing.TB, platform string) Image {
	t.Helper()
	for _, im := range i.Images {
		if PlatformString(im.Platform) == platform {
			return im
		}
	}
	t.Fatalf("testbase: no image for %s", platform)
	return Image{}
}

// PlatformString formats p as os/arch[/variant].
func PlatformString(p ocispec.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// Platforms are the platforms of the base index, in order.
var Platforms = []ocispec.Platform{
	{OS: "linux", Architecture: "amd64"},
	{OS: "linux", Architecture: "arm64", Variant: "v8"},
}

// flavor selects OCI or Docker schema2 media types.
type flavor struct {
	manifest, index, config, layer string
	attest                         bool
}

var (
	ociFlavor    = flavor{ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageIndex, ocispec.MediaTypeImageConfig, ocispec.MediaTypeImageLayerGzip, true}
	dockerFlavor = flavor{MediaTypeDockerManifest, MediaTypeDockerManifestList, MediaTypeDockerConfig, MediaTypeDockerLayerGzip, false}
)

// blobs is a content store: digest → content, plus the write order.
type blobs struct {
	data  map[digest.Digest][]byte
	order []digest.Digest
}

// add stores data and returns its descriptor.
func (b *blobs) add(mediaType string, data []byte) ocispec.Descriptor {
	d := digest.FromBytes(data)
	if b.data == nil {
		b.data = map[digest.Digest][]byte{}
	}
	if _, ok := b.data[d]; !ok {
		b.data[d] = data
		b.order = append(b.order, d)
	}
	return ocispec.Descriptor{MediaType: mediaType, Digest: d, Size: int64(len(data))}
}

// buildIndex builds the two-platform index (and for OCI the attestation
// manifest) and returns its info and blobs.
func buildIndex(t testing.TB, fl flavor) (Info, *blobs) {
	t.Helper()
	ls := baseLayers(t)
	st := &blobs{}
	var layers []ocispec.Descriptor
	for _, l := range ls {
		layers = append(layers, st.add(fl.layer, l.gz))
	}
	diffIDs := []digest.Digest{ls[0].diffID, ls[1].diffID}
	info := Info{Ref: Ref, Name: Name}
	var entries []ocispec.Descriptor
	for _, p := range Platforms {
		im := buildImage(t, st, fl, p, layers, diffIDs)
		info.Images = append(info.Images, im)
		entries = append(entries, im.Manifest)
	}
	if fl.attest {
		info.Attestation = attestation(t, st, info.Images[0].Manifest.Digest)
		entries = append(entries, info.Attestation)
	}
	idx := ocispec.Index{Manifests: entries, MediaType: fl.index}
	idx.SchemaVersion = 2
	info.Index = st.add(fl.index, mustJSON(t, idx))
	info.Index.Annotations = map[string]string{
		"io.containerd.image.name": Name,
		ocispec.AnnotationRefName:  Ref,
	}
	return info, st
}

// buildImage writes the config and manifest of one platform.
func buildImage(t testing.TB, st *blobs, fl flavor, p ocispec.Platform, layers []ocispec.Descriptor, diffIDs []digest.Digest) Image {
	t.Helper()
	cfg := configJSON(t, p, diffIDs)
	im := Image{Platform: p, ConfigJSON: cfg, Layers: layers, DiffIDs: diffIDs}
	im.Config = st.add(fl.config, cfg)
	m := ocispec.Manifest{MediaType: fl.manifest, Config: im.Config, Layers: layers}
	m.SchemaVersion = 2
	im.Manifest = st.add(fl.manifest, mustJSON(t, m))
	pc := p
	im.Manifest.Platform = &pc
	return im
}

// attestation writes an in-toto attestation manifest for subject, as BuildKit does.
func attestation(t testing.TB, st *blobs, subject digest.Digest) ocispec.Descriptor {
	t.Helper()
	stmt := st.add("application/vnd.in-toto+json", []byte(`{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://spdx.dev/Document","subject":[]}`))
	stmt.Annotations = map[string]string{"in-toto.io/predicate-type": "https://spdx.dev/Document"}
	cfg := st.add(ocispec.MediaTypeImageConfig, []byte(`{"architecture":"unknown","os":"unknown","config":{},"rootfs":{"type":"layers","diff_ids":["`+stmt.Digest.String()+`"]}}`))
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Config: cfg, Layers: []ocispec.Descriptor{stmt}}
	m.SchemaVersion = 2
	d := st.add(ocispec.MediaTypeImageManifest, mustJSON(t, m))
	d.Platform = &ocispec.Platform{OS: "unknown", Architecture: "unknown"}
	d.Annotations = map[string]string{
		AnnotationReferenceType:   AttestationManifest,
		AnnotationReferenceDigest: subject.String(),
	}
	return d
}

// configJSON returns the base config for platform p. It carries fields that
// ocispec.Image drops (Healthcheck, OnBuild, Shell, container_config,
// docker_version) and a label with <>& to catch HTML escaping.
func configJSON(t testing.TB, p ocispec.Platform, diffIDs []digest.Digest) []byte {
	t.Helper()
	created := Mtime.Format("2006-01-02T15:04:05Z")
	cfg := map[string]any{
		"architecture":   p.Architecture,
		"os":             p.OS,
		"created":        created,
		"author":         "ybuild tests",
		"docker_version": "27.0.0",
		"container_config": map[string]any{
			"Hostname": "build",
			"Cmd":      []string{"/bin/sh", "-c", `#(nop) CMD ["sh"]`},
		},
		"config": map[string]any{
			"Env":          Env,
			"Cmd":          []string{"sh"},
			"WorkingDir":   "/",
			"Labels":       map[string]string{"org.example.base": "busybox", "org.example.html": "<b>&</b>"},
			"ExposedPorts": map[string]any{"80/tcp": map[string]any{}},
			"Healthcheck":  map[string]any{"Test": []string{"CMD", "true"}, "Interval": 30000000000, "Retries": 3},
			"OnBuild":      []string{"RUN echo onbuild"},
			"Shell":        []string{"/bin/sh", "-c"},
			"StopSignal":   "SIGTERM",
		},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
		"history": []map[string]any{
			{"created": created, "created_by": "ADD busybox /bin/"},
			{"created": created, "created_by": "ADD etc /"},
			{"created": created, "created_by": `CMD ["sh"]`, "empty_layer": true},
		},
	}
	if p.Variant != "" {
		cfg["variant"] = p.Variant
	}
	return mustJSON(t, cfg)
}

// mustJSON marshals v without HTML escaping and without a trailing newline.
func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("testbase: marshal: %v", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
