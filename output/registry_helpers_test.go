package output_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/internal/testbase"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/resolve"
)

// seedBase starts a registry holding the busybox test base at
// HOST/lib/busybox:1 and returns it with the seeded top descriptor.
func seedBase(t *testing.T, opts registrytest.Options) (*registrytest.Registry, ocispec.Descriptor) {
	t.Helper()
	reg := registrytest.New(t, opts)
	dir := t.TempDir()
	testbase.Layout(t, dir)
	top := reg.PushLayout(t, dir, testbase.Ref, reg.Host+"/lib/busybox:1")
	reg.Counter.Reset()
	return reg, top
}

// buildOn builds an image on base the way a build would, without
// assemble.Build: one new layer holding /hello.txt on every platform, a
// patched config, an OCI manifest per platform and an index when the base
// gave several platforms. Base layers are added with AddBase.
func buildOn(t *testing.T, base *resolve.Base) *assemble.Image {
	t.Helper()
	layer, diffID, path := helloLayer(t)
	img := &assemble.Image{}
	for _, bi := range base.Images {
		layers := append(append([]ocispec.Descriptor{}, bi.Manifest.Layers...), layer)
		for _, l := range bi.Manifest.Layers {
			img.AddBase(l, base.Blobs)
		}
		img.AddFile(layer, path)
		cfg := patchConfig(t, bi.Config, diffID)
		cfgDesc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(cfg), Size: int64(len(cfg))}
		img.AddData(cfgDesc, cfg)
		m := marshal(t, ocispec.Manifest{
			Versioned: specsV2, MediaType: ocispec.MediaTypeImageManifest, Config: cfgDesc, Layers: layers,
		})
		p := bi.Platform
		mDesc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(m), Size: int64(len(m)), Platform: &p}
		img.Manifests = append(img.Manifests, assemble.Manifest{Desc: mDesc, Config: cfgDesc, Layers: layers})
	}
	for _, m := range img.Manifests {
		img.AddData(m.Desc, manifestBytes(t, m))
	}
	img.Desc = img.Manifests[0].Desc
	if len(img.Manifests) > 1 {
		idx := ocispec.Index{Versioned: specsV2, MediaType: ocispec.MediaTypeImageIndex}
		for _, m := range img.Manifests {
			idx.Manifests = append(idx.Manifests, m.Desc)
		}
		data := marshal(t, idx)
		img.Desc = ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: digest.FromBytes(data), Size: int64(len(data))}
		img.AddData(img.Desc, data)
	} else {
		img.Desc.Platform = nil
	}
	return img
}

// manifestBytes rebuilds the manifest JSON of m (as buildOn marshalled it).
func manifestBytes(t *testing.T, m assemble.Manifest) []byte {
	t.Helper()
	data := marshal(t, ocispec.Manifest{Versioned: specsV2, MediaType: ocispec.MediaTypeImageManifest, Config: m.Config, Layers: m.Layers})
	if digest.FromBytes(data) != m.Desc.Digest {
		t.Fatal("manifest bytes are not stable")
	}
	return data
}

// specsV2 is schemaVersion 2.
var specsV2 = specs.Versioned{SchemaVersion: 2}

// helloLayer writes a gzipped layer with /hello.txt and returns its
// descriptor, diff ID and file.
func helloLayer(t *testing.T) (ocispec.Descriptor, digest.Digest, string) {
	t.Helper()
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	body := []byte("hello from ybuild\n")
	hdr := &tar.Header{Name: "hello.txt", Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg, Format: tar.FormatPAX, ModTime: testbase.Mtime}
	if err := tw.WriteHeader(hdr); err != nil {
		t.Fatal(err)
	}
	tw.Write(body)
	tw.Close()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(tb.Bytes())
	zw.Close()
	path := filepath.Join(t.TempDir(), "layer.tar.gz")
	if err := os.WriteFile(path, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	desc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: digest.FromBytes(gz.Bytes()), Size: int64(gz.Len())}
	return desc, digest.FromBytes(tb.Bytes()), path
}

// patchConfig appends diffID to the config's rootfs.diff_ids, keeping every
// other field.
func patchConfig(t *testing.T, cfg []byte, diffID digest.Digest) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(cfg, &m); err != nil {
		t.Fatal(err)
	}
	var rootfs ocispec.RootFS
	if err := json.Unmarshal(m["rootfs"], &rootfs); err != nil {
		t.Fatal(err)
	}
	rootfs.DiffIDs = append(rootfs.DiffIDs, diffID)
	m["rootfs"] = marshal(t, rootfs)
	return marshal(t, m)
}

// marshal is json.Marshal that fails the test.
func marshal(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// testOpts are a test's registry options and cache directory.
type testOpts struct {
	registry.Options
	CacheDir string
}

// registry returns the registry options (nil for nil o).
func (o *testOpts) registry() *registry.Options {
	if o == nil {
		return nil
	}
	return &o.Options
}

// resolve returns the options for opening a base.
func (o *testOpts) resolve(all bool) resolve.Options {
	if o == nil {
		return resolve.Options{AllPlatforms: all}
	}
	return resolve.Options{AllPlatforms: all, Registry: &o.Options, CacheDir: o.CacheDir}
}

// openBase opens a registry base for all platforms (or the default).
func openBase(t *testing.T, ref string, all bool, ropts *testOpts) *resolve.Base {
	t.Helper()
	b, err := resolve.Open(context.Background(), ref, ropts.resolve(all))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// baseLayerDigests returns the distinct layer digests of the base.
func baseLayerDigests(b *resolve.Base) []digest.Digest {
	seen := map[digest.Digest]bool{}
	var out []digest.Digest
	for _, im := range b.Images {
		for _, l := range im.Manifest.Layers {
			if !seen[l.Digest] {
				seen[l.Digest] = true
				out = append(out, l.Digest)
			}
		}
	}
	return out
}
