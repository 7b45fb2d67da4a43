package assemble

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/internal/testbase"
	"github.com/ybuild/ybuild/resolve"
	"github.com/ybuild/ybuild/spec"
)

// bases holds testbase images written once per test.
type bases struct {
	dir    string
	layout testbase.Info
}

// newBases writes the testbase layouts and archives under a temp dir.
func newBases(t *testing.T) *bases {
	t.Helper()
	dir := t.TempDir()
	info := testbase.Layout(t, filepath.Join(dir, "layout"))
	testbase.DockerSchema2Layout(t, filepath.Join(dir, "schema2"))
	testbase.DockerArchive(t, filepath.Join(dir, "docker.tar"))
	return &bases{dir: dir, layout: info}
}

// open resolves ref (relative to the bases' dir) for the spec's platforms.
func (bs *bases) open(t *testing.T, ref string, b *spec.Build) *resolve.Base {
	t.Helper()
	opts := resolve.Options{Dir: bs.dir}
	if len(b.Platforms) == 1 && b.Platforms[0] == "all" {
		opts.AllPlatforms = true
	} else if len(b.Platforms) > 0 {
		ps, err := platforms.ParseAll(b.Platforms)
		if err != nil {
			t.Fatal(err)
		}
		opts.Platforms = ps
	}
	base, err := resolve.Open(context.Background(), ref, opts)
	if err != nil {
		t.Fatal(err)
	}
	return base
}

// parseSpec writes files into a temp spec dir and parses yaml there.
func parseSpec(t *testing.T, yaml string, files map[string]string) *spec.Build {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := spec.Parse([]byte(yaml), "build.yaml", dir, spec.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// build builds b on base into a fresh blob dir.
func build(t *testing.T, b *spec.Build, base *resolve.Base) *Image {
	t.Helper()
	blobs := filepath.Join(t.TempDir(), "blobs")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		t.Fatal(err)
	}
	im, err := Build(context.Background(), b, base, Options{BlobDir: blobs})
	if err != nil {
		t.Fatal(err)
	}
	return im
}

// readJSON decodes the in-memory blob d.
func readJSON(t *testing.T, im *Image, d ocispec.Descriptor, v any) {
	t.Helper()
	if err := json.Unmarshal(im.Bytes(d), v); err != nil {
		t.Fatalf("blob %s: %v", d.Digest, err)
	}
}

// checkBlobs reads every blob of im, checking order and content digests.
func checkBlobs(t *testing.T, im *Image) {
	t.Helper()
	rank := map[string]int{}
	last := 0
	for _, d := range im.Blobs() {
		r := kindRank(d.MediaType)
		if r < last {
			t.Errorf("blob %s (%s) out of order", d.Digest, d.MediaType)
		}
		last = r
		rank[d.MediaType]++
		rc, err := im.Open(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || int64(len(data)) != d.Size || digest.FromBytes(data) != d.Digest {
			t.Fatalf("blob %s: content does not match (%v)", d.Digest, err)
		}
	}
	if top := im.Blobs()[len(im.Blobs())-1]; top.Digest != im.Desc.Digest {
		t.Errorf("last blob %s is not the top-level %s", top.Digest, im.Desc.Digest)
	}
}

// kindRank orders media types: layers, configs, manifests, indexes.
func kindRank(mt string) int {
	switch mt {
	case ocispec.MediaTypeImageConfig, imageio.MediaTypeDockerConfig:
		return 1
	case ocispec.MediaTypeImageManifest, imageio.MediaTypeDockerManifest:
		return 2
	case ocispec.MediaTypeImageIndex, imageio.MediaTypeDockerManifestList:
		return 3
	}
	return 0
}

const appSpec = `apiVersion: ybuild/v1
base: oci:base
layers:
  - name: app
    files:
      - {src: app.txt, dst: /app/app.txt}
config:
  env: {PATH: "/app/bin:$PATH", APP: "1"}
  cmd: [cat, /app/app.txt]
annotations: {org.example.note: hi}
`

func TestBuildSingle(t *testing.T) {
	bs := newBases(t)
	b := parseSpec(t, appSpec, map[string]string{"app.txt": "hello\n"})
	base := bs.open(t, "oci:layout", b)
	im := build(t, b, base)
	amd := bs.layout.Images[0]
	if im.Desc.MediaType != ocispec.MediaTypeImageManifest || im.Desc.Platform == nil || im.Desc.Platform.Architecture != "amd64" {
		t.Fatalf("top-level %+v, want an amd64 manifest", im.Desc)
	}
	var m ocispec.Manifest
	readJSON(t, im, im.Desc, &m)
	if len(m.Layers) != 3 || m.Layers[0].Digest != amd.Layers[0].Digest || m.Layers[1].Digest != amd.Layers[1].Digest {
		t.Fatalf("layers %+v, want the base's two and one new", m.Layers)
	}
	want := map[string]string{
		ocispec.AnnotationCreated: "1970-01-01T00:00:00Z", ocispec.AnnotationBaseImageName: testbase.Name,
		ocispec.AnnotationBaseImageDigest: amd.Manifest.Digest.String(), "org.example.note": "hi",
	}
	if !mapsEqual(m.Annotations, want) {
		t.Errorf("annotations %v, want %v", m.Annotations, want)
	}
	var cfg struct {
		Config struct{ Env, Cmd []string }
		RootFS ocispec.RootFS `json:"rootfs"`
	}
	readJSON(t, im, m.Config, &cfg)
	if len(cfg.RootFS.DiffIDs) != 3 || cfg.Config.Env[0] != "PATH=/app/bin:/usr/sbin:/usr/bin:/sbin:/bin" || cfg.Config.Cmd[0] != "cat" {
		t.Errorf("config %+v", cfg)
	}
	if p := im.Path(m.Layers[0]); p == "" {
		t.Error("base layer has no local path")
	}
	checkBlobs(t, im)
	if again := build(t, b, bs.open(t, "oci:layout", b)); again.Desc.Digest != im.Desc.Digest {
		t.Errorf("rebuild gives %s, want %s", again.Desc.Digest, im.Desc.Digest)
	}
}

// mapsEqual compares string maps.
func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

const multiSpec = `apiVersion: ybuild/v1
base: oci:base
platforms: [linux/amd64, linux/arm64]
layers:
  - name: arch
    files:
      - {src: "bin/${TARGETARCH}/tool", dst: /usr/local/bin/tool}
  - name: common
    files:
      - {src: common.txt, dst: /etc/common.txt}
`

func TestBuildMultiPlatform(t *testing.T) {
	bs := newBases(t)
	b := parseSpec(t, multiSpec, map[string]string{
		"bin/amd64/tool": "amd64", "bin/arm64/tool": "arm64", "common.txt": "same",
	})
	base := bs.open(t, "oci:layout", b)
	im := build(t, b, base)
	if im.Desc.MediaType != ocispec.MediaTypeImageIndex || len(im.Manifests) != 2 {
		t.Fatalf("top-level %s with %d manifests, want an index of 2", im.Desc.MediaType, len(im.Manifests))
	}
	var idx ocispec.Index
	readJSON(t, im, im.Desc, &idx)
	if idx.Annotations[ocispec.AnnotationBaseImageDigest] != bs.layout.Index.Digest.String() {
		t.Errorf("index base.digest %s, want the base index %s", idx.Annotations[ocispec.AnnotationBaseImageDigest], bs.layout.Index.Digest)
	}
	for i, d := range idx.Manifests {
		if d.Platform == nil || d.Platform.Architecture != bs.layout.Images[i].Platform.Architecture {
			t.Errorf("entry %d platform %+v", i, d.Platform)
		}
	}
	amd, arm := im.Manifests[0].Layers, im.Manifests[1].Layers
	if amd[2].Digest == arm[2].Digest {
		t.Error("TARGETARCH-dependent layers are identical")
	}
	if amd[3].Digest != arm[3].Digest {
		t.Error("identical layers differ across platforms")
	}
	count := 0
	for _, d := range im.Blobs() {
		if d.Digest == amd[3].Digest || d.Digest == amd[0].Digest {
			count++
		}
	}
	if count != 2 {
		t.Errorf("shared layers appear %d times in Blobs, want once each", count)
	}
	checkBlobs(t, im)
	if again := build(t, b, bs.open(t, "oci:layout", b)); again.Desc.Digest != im.Desc.Digest {
		t.Errorf("rebuild gives %s, want %s", again.Desc.Digest, im.Desc.Digest)
	}
	serial, err := Build(context.Background(), b, bs.open(t, "oci:layout", b), Options{BlobDir: t.TempDir(), Concurrency: 1})
	if err != nil || serial.Desc.Digest != im.Desc.Digest {
		t.Errorf("serial build gives %v (%v), want %s", serial, err, im.Desc.Digest)
	}
}

func TestBuildFormats(t *testing.T) {
	bs := newBases(t)
	const docker = "format: docker\n"
	for _, tc := range []struct {
		name, base, extra string
		manifest, layer   string // media types of the manifest and of base layers
		wantErr           error
	}{
		{"oci from docker base", "oci:schema2", "", ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageLayerGzip, nil},
		{"oci from legacy archive", "docker-archive:docker.tar", "", ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageLayer, nil},
		{"docker from oci base", "oci:layout", docker, imageio.MediaTypeDockerManifest, imageio.MediaTypeDockerLayerGzip, nil},
		{"docker from legacy archive", "docker-archive:docker.tar", docker, imageio.MediaTypeDockerManifest, imageio.MediaTypeDockerLayer, nil},
		{"docker with zstd", "oci:layout", docker + "#zstd", "", "", ErrUnsupported},
		{"docker on zstd base", "oci:layout", docker + "#zstd base", "", "", ErrUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := parseSpec(t, "apiVersion: ybuild/v1\nbase: scratch\nfiles: [{dst: /x, content: x}]\n"+tc.extra, nil)
			base := bs.open(t, tc.base, b)
			if strings.HasSuffix(tc.extra, "#zstd") {
				b.Compression = spec.CompressionZstd // the spec refuses it; Build must too
			}
			if strings.HasSuffix(tc.extra, "#zstd base") {
				base.Images[0].Manifest.Layers[1].MediaType = ocispec.MediaTypeImageLayerZstd
			}
			im, err := Build(context.Background(), b, base, Options{BlobDir: t.TempDir()})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			var m ocispec.Manifest
			readJSON(t, im, im.Desc, &m)
			if m.MediaType != tc.manifest || im.Desc.MediaType != tc.manifest || m.Layers[0].MediaType != tc.layer {
				t.Errorf("manifest %s, base layer %s; want %s, %s", m.MediaType, m.Layers[0].MediaType, tc.manifest, tc.layer)
			}
			if strings.HasPrefix(tc.extra, docker) && (m.Config.MediaType != imageio.MediaTypeDockerConfig || m.Layers[2].MediaType != imageio.MediaTypeDockerLayerGzip || m.Annotations != nil) {
				t.Errorf("docker manifest: config %s, new layer %s, annotations %v", m.Config.MediaType, m.Layers[2].MediaType, m.Annotations)
			}
			checkBlobs(t, im)
		})
	}
}

func TestBuildDockerIndex(t *testing.T) {
	bs := newBases(t)
	b := parseSpec(t, "apiVersion: ybuild/v1\nbase: x\nformat: docker\nplatforms: all\nfiles: [{dst: /x, content: x}]\n", nil)
	im := build(t, b, bs.open(t, "oci:layout", b))
	if im.Desc.MediaType != imageio.MediaTypeDockerManifestList || len(im.Manifests) != 2 {
		t.Fatalf("top-level %s with %d manifests", im.Desc.MediaType, len(im.Manifests))
	}
	if bytes.Contains(im.Bytes(im.Desc), []byte("annotations")) {
		t.Error("docker manifest list has annotations")
	}
}

func TestBuildIndexChoice(t *testing.T) {
	bs := newBases(t)
	one := parseSpec(t, "apiVersion: ybuild/v1\nbase: x\nplatforms: [linux/arm64]\nfiles: [{dst: /x, content: x}]\n", nil)
	none := parseSpec(t, "apiVersion: ybuild/v1\nbase: x\nfiles: [{dst: /x, content: x}]\n", nil)
	for _, tc := range []struct {
		name    string
		b       *spec.Build
		opts    Options
		want    string
		wantErr bool
	}{
		{"spec platforms", one, Options{}, ocispec.MediaTypeImageIndex, false},
		{"narrowed", one, Options{SingleManifest: true}, ocispec.MediaTypeImageManifest, false},
		{"no platforms", none, Options{}, ocispec.MediaTypeImageManifest, false},
		{"forced", none, Options{ForceIndex: true}, ocispec.MediaTypeImageIndex, false},
		{"both", none, Options{ForceIndex: true, SingleManifest: true}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.BlobDir = t.TempDir()
			im, err := Build(context.Background(), tc.b, bs.open(t, "oci:layout", tc.b), opts)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err == nil && im.Desc.MediaType != tc.want {
				t.Errorf("top-level %s, want %s", im.Desc.MediaType, tc.want)
			}
		})
	}
}

func TestBuildScratch(t *testing.T) {
	b := parseSpec(t, "apiVersion: ybuild/v1\nbase: scratch\nfiles: [{dst: /etc/x, content: x}]\nconfig: {cmd: [/x]}\n", nil)
	base, err := resolve.Open(context.Background(), "scratch", resolve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	im := build(t, b, base)
	var m ocispec.Manifest
	readJSON(t, im, im.Desc, &m)
	if _, ok := m.Annotations[ocispec.AnnotationBaseImageDigest]; ok || len(m.Layers) != 1 {
		t.Errorf("scratch manifest: annotations %v, %d layers", m.Annotations, len(m.Layers))
	}
	var c struct {
		RootFS ocispec.RootFS `json:"rootfs"`
	}
	readJSON(t, im, m.Config, &c)
	want := `{"architecture":"amd64","config":{"Cmd":["/x"]},"created":"1970-01-01T00:00:00Z",` +
		`"history":[{"created":"1970-01-01T00:00:00Z","created_by":"ybuild layer 0"},{"created":"1970-01-01T00:00:00Z","created_by":"ybuild config cmd","empty_layer":true}],` +
		`"os":"linux","rootfs":{"type":"layers","diff_ids":["` + string(c.RootFS.DiffIDs[0]) + `"]}}`
	if got := string(im.Bytes(m.Config)); got != want {
		t.Errorf("config\n got %s\nwant %s", got, want)
	}
}

func TestBuildCancelled(t *testing.T) {
	bs := newBases(t)
	b := parseSpec(t, appSpec, map[string]string{"app.txt": "hello\n"})
	base := bs.open(t, "oci:layout", b)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Build(ctx, b, base, Options{BlobDir: t.TempDir()}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
