package resolve

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/internal/testbase"
)

// fixture holds the testbase images written once per test.
type fixture struct {
	dir       string
	layout    testbase.Info
	schema2   testbase.Info
	ociTar    testbase.Info
	docker    testbase.Info
	multi     testbase.Info
	dockerOCI testbase.Info
}

// newFixture writes every testbase flavor under one temp dir.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	return &fixture{
		dir:       dir,
		layout:    testbase.Layout(t, filepath.Join(dir, "layout")),
		schema2:   testbase.DockerSchema2Layout(t, filepath.Join(dir, "schema2")),
		ociTar:    testbase.OCIArchive(t, filepath.Join(dir, "oci.tar")),
		docker:    testbase.DockerArchive(t, filepath.Join(dir, "docker.tar")),
		multi:     testbase.DockerArchiveMulti(t, filepath.Join(dir, "multi.tar")),
		dockerOCI: testbase.OCIArchive(t, filepath.Join(dir, "docker25.tar")),
	}
}

// plats parses platform strings.
func plats(t *testing.T, ss ...string) []ocispec.Platform {
	t.Helper()
	out, err := platforms.ParseAll(ss)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// platformsOf formats the platforms of a base.
func platformsOf(b *Base) string {
	var out []string
	for _, im := range b.Images {
		out = append(out, testbase.PlatformString(im.Platform))
	}
	return strings.Join(out, ",")
}

func TestOpen(t *testing.T) {
	f := newFixture(t)
	idx := f.layout.Index.Digest.String()
	for _, tc := range []struct {
		name, ref string
		opts      Options
		want      string // platforms, comma-separated
		wantName  string // default testbase.Name
		isIndex   bool
		wantErr   error
		errHas    string
	}{
		{name: "layout default", ref: "oci:layout", want: "linux/amd64", isIndex: true},
		{name: "layout ref", ref: "oci:layout:latest", want: "linux/amd64", isIndex: true},
		{name: "layout digest", ref: "oci:layout:" + idx, want: "linux/amd64", isIndex: true},
		{name: "layout at digest", ref: "oci:layout:@" + idx, want: "linux/amd64", isIndex: true},
		{name: "absolute", ref: "oci:" + filepath.Join(f.dir, "layout"), opts: Options{Dir: "/nonexistent"}, want: "linux/amd64", isIndex: true},
		{name: "arm64 normalizes", ref: "oci:layout", opts: Options{Platforms: plats(t, "linux/arm64")}, want: "linux/arm64/v8", isIndex: true},
		{name: "arm64/v8", ref: "oci:layout", opts: Options{Platforms: plats(t, "linux/arm64/v8")}, want: "linux/arm64/v8", isIndex: true},
		{name: "index order", ref: "oci:layout", opts: Options{Platforms: plats(t, "linux/arm64", "linux/amd64")}, want: "linux/amd64,linux/arm64/v8", isIndex: true},
		{name: "all skips attestation", ref: "oci:layout", opts: Options{AllPlatforms: true}, want: "linux/amd64,linux/arm64/v8", isIndex: true},
		{name: "no match", ref: "oci:layout", opts: Options{Platforms: plats(t, "linux/s390x")}, wantErr: ErrNoMatchingPlatform, errHas: "linux/amd64, linux/arm64/v8"},
		{name: "variant is strict", ref: "oci:layout", opts: Options{Platforms: plats(t, "linux/amd64/v3")}, wantErr: ErrNoMatchingPlatform},
		{name: "wrong ref", ref: "oci:layout:nope", wantErr: ErrNotFound, errHas: "latest"},
		{name: "missing dir", ref: "oci:nope", wantErr: ErrInvalidBase, errHas: filepath.Join(f.dir, "nope")},
		{name: "schema2 list", ref: "oci:schema2", opts: Options{AllPlatforms: true}, want: "linux/amd64,linux/arm64/v8", isIndex: true},
		{name: "oci archive", ref: "oci-archive:oci.tar", want: "linux/amd64", isIndex: true},
		{name: "oci archive ref", ref: "oci-archive:oci.tar:latest", opts: Options{Platforms: plats(t, "linux/arm64")}, want: "linux/arm64/v8", isIndex: true},
		{name: "oci archive wrong ref", ref: "oci-archive:oci.tar:v2", wantErr: ErrNotFound},
		{name: "docker archive", ref: "docker-archive:docker.tar", want: "linux/amd64"},
		{name: "docker archive all", ref: "docker-archive:docker.tar", opts: Options{AllPlatforms: true}, want: "linux/amd64"},
		{name: "docker archive platform mismatch", ref: "docker-archive:docker.tar", opts: Options{Platforms: plats(t, "linux/arm64")}, wantErr: ErrNoMatchingPlatform, errHas: "linux/amd64"},
		{name: "docker archive ambiguous", ref: "docker-archive:multi.tar", wantErr: ErrAmbiguous, errHas: "busybox:arm64"},
		{name: "docker archive tag", wantName: "docker.io/library/busybox:arm64", ref: "docker-archive:multi.tar:busybox:arm64", want: "linux/arm64/v8"},
		{name: "docker archive qualified tag", ref: "docker-archive:multi.tar:docker.io/library/busybox:latest", want: "linux/amd64"},
		{name: "docker archive @N", wantName: "docker.io/library/busybox:arm64", ref: "docker-archive:multi.tar:@1", want: "linux/arm64/v8"},
		{name: "docker archive bare @N", wantName: "docker.io/library/busybox:arm64", ref: "docker-archive:multi.tar@1", want: "linux/arm64/v8"},
		{name: "docker archive @N out of range", ref: "docker-archive:multi.tar:@2", wantErr: ErrNotFound},
		{name: "docker archive wrong tag", ref: "docker-archive:multi.tar:busybox:nope", wantErr: ErrNotFound},
		{name: "docker 25 archive", ref: "docker-archive:docker25.tar", want: "linux/amd64", isIndex: true},
		{name: "docker 25 archive name", ref: "docker-archive:docker25.tar:busybox", want: "linux/amd64", isIndex: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			if opts.Dir == "" {
				opts.Dir = f.dir
			}
			b, err := Open(context.Background(), tc.ref, opts)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("err = %v, want %v containing %q", err, tc.wantErr, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := platformsOf(b); got != tc.want {
				t.Errorf("platforms = %s, want %s", got, tc.want)
			}
			if b.IsIndex != tc.isIndex {
				t.Errorf("IsIndex = %v", b.IsIndex)
			}
			wantName := tc.wantName
			if wantName == "" {
				wantName = testbase.Name
			}
			if b.Name != wantName {
				t.Errorf("Name = %q", b.Name)
			}
			checkImages(t, b)
		})
	}
}

// checkImages reads every config and layer of b through its BlobSource.
func checkImages(t *testing.T, b *Base) {
	t.Helper()
	for _, im := range b.Images {
		if len(im.Config) == 0 || len(im.Manifest.Layers) != 2 || im.Desc.Digest == "" {
			t.Fatalf("image %+v incomplete", im.Desc)
		}
		for _, d := range append([]ocispec.Descriptor{im.Manifest.Config}, im.Manifest.Layers...) {
			readAll(t, b.Blobs, d)
		}
	}
}

// readAll reads a blob to the end and closes it, failing on any error.
func readAll(t *testing.T, src BlobSource, d ocispec.Descriptor) []byte {
	t.Helper()
	rc, err := src.Open(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", d.Digest, err)
	}
	if err := rc.Close(); err != nil {
		t.Fatalf("close %s: %v", d.Digest, err)
	}
	return data
}

func TestOpenDetails(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	t.Run("layout", func(t *testing.T) {
		b, err := Open(ctx, "oci:layout", Options{Dir: f.dir})
		if err != nil {
			t.Fatal(err)
		}
		want := f.layout.Images[0]
		im := b.Images[0]
		if b.Digest != f.layout.Index.Digest || im.Desc.Digest != want.Manifest.Digest || string(im.Config) != string(want.ConfigJSON) {
			t.Fatalf("base %s image %s differ from testbase", b.Digest, im.Desc.Digest)
		}
		p, ok := b.Blobs.(Pather)
		if !ok || p.Path(want.Layers[0]) != filepath.Join(f.dir, "layout", "blobs", "sha256", want.Layers[0].Digest.Encoded()) {
			t.Error("layout blobs have no path")
		}
	})
	t.Run("legacy docker archive", func(t *testing.T) {
		b, err := Open(ctx, "docker-archive:docker.tar", Options{Dir: f.dir})
		if err != nil {
			t.Fatal(err)
		}
		im := b.Images[0]
		if im.Manifest.MediaType != imageio.MediaTypeDockerManifest || im.Desc.MediaType != imageio.MediaTypeDockerManifest {
			t.Errorf("manifest media type %q", im.Manifest.MediaType)
		}
		for i, l := range im.Manifest.Layers {
			if l.Digest != f.docker.Images[0].DiffIDs[i] || l.MediaType != imageio.MediaTypeDockerLayer {
				t.Errorf("layer %d = %s %s, want the diff id, uncompressed", i, l.MediaType, l.Digest)
			}
		}
		if string(readAll(t, b.Blobs, b.Images[0].Desc)) == "" || b.Digest != im.Desc.Digest {
			t.Error("synthesized manifest not readable")
		}
	})
	t.Run("schema2", func(t *testing.T) {
		b, err := Open(ctx, "oci:schema2", Options{Dir: f.dir})
		if err != nil {
			t.Fatal(err)
		}
		if b.Images[0].Manifest.Layers[0].MediaType != imageio.MediaTypeDockerLayerGzip {
			t.Errorf("layer media type %s", b.Images[0].Manifest.Layers[0].MediaType)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		c, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := Open(c, "oci:layout", Options{Dir: f.dir}); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestScratch(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    Options
		want    []string
		wantErr error
	}{
		{name: "default", want: []string{`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`}},
		{name: "two", opts: Options{Platforms: plats(t, "linux/arm64/v8", "linux/amd64", "linux/arm64")}, want: []string{
			`{"architecture":"arm64","os":"linux","variant":"v8","rootfs":{"type":"layers","diff_ids":[]}}`,
			`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`,
		}},
		{name: "all", opts: Options{AllPlatforms: true}, wantErr: ErrNoMatchingPlatform},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Open(context.Background(), "scratch", tc.opts)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if b.IsIndex || b.Digest != "" || b.Name != "" || len(b.Images) != len(tc.want) {
				t.Fatalf("base = %+v", b)
			}
			for i, im := range b.Images {
				if string(im.Config) != tc.want[i] {
					t.Errorf("config = %s, want %s", im.Config, tc.want[i])
				}
				if im.Manifest.Layers == nil || len(im.Manifest.Layers) != 0 {
					t.Errorf("layers = %#v, want empty non-nil", im.Manifest.Layers)
				}
			}
		})
	}
}
