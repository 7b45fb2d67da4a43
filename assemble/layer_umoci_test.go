package assemble

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/e2e"
	"github.com/ybuild/ybuild/spec"
)

// TestWriteLayerUmociUnpack checks that umoci honours our whiteouts and
// opaque directories: a base layer, then a layer deleting and replacing.
func TestWriteLayerUmociUnpack(t *testing.T) {
	umoci := e2e.Require(t, "umoci")
	layout := t.TempDir()
	env := newTestEnv(t, t.TempDir(), Options{Created: testCreated, BlobDir: filepath.Join(layout, "blobs")})
	env.scratch = true
	base := spec.Layer{Files: []spec.File{
		{Dst: "/etc/passwd", Content: str("root:x:0:0::/root:/bin/sh\n")},
		{Dst: "/etc/app/old", Content: str("old")},
		{Dst: "/etc/app/sub/older", Content: str("older")},
		{Dst: "/etc/keep", Content: str("keep")},
	}}
	top := spec.Layer{Delete: []string{"/etc/passwd"}, Replace: []string{"/etc/app"},
		Files: []spec.File{{Dst: "/etc/app/new", Content: str("new")}}}
	var layers []layerBlob
	for _, l := range []spec.Layer{base, top} {
		out, err := writeLayer(context.Background(), l, env)
		if err != nil {
			t.Fatal(err)
		}
		env.scratch = false
		layers = append(layers, out)
	}
	writeTestLayout(t, layout, layers)
	bundle := filepath.Join(t.TempDir(), "bundle")
	args := []string{"unpack", "--image", layout + ":test", bundle}
	if os.Geteuid() != 0 {
		args = append([]string{"unpack", "--rootless"}, args[1:]...)
	}
	e2e.Run(t, umoci, args...)
	rootfs := filepath.Join(bundle, "rootfs")
	for p, want := range map[string]bool{
		"etc/passwd": false, "etc/app/old": false, "etc/app/sub": false,
		"etc/app/new": true, "etc/keep": true, "etc/.wh.passwd": false, "etc/app/.wh..wh..opq": false,
	} {
		_, err := os.Lstat(filepath.Join(rootfs, p))
		if got := err == nil; got != want {
			t.Errorf("%s: exists %v, want %v", p, got, want)
		}
	}
}

// writeTestLayout writes a minimal OCI layout around layers (whose blobs
// are already in layout/blobs) tagged "test".
func writeTestLayout(t *testing.T, layout string, layers []layerBlob) {
	t.Helper()
	cfg := ocispec.Image{Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"},
		RootFS: ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{}}}
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Layers: []ocispec.Descriptor{}}
	m.SchemaVersion = 2
	for _, l := range layers {
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, l.DiffID)
		m.Layers = append(m.Layers, l.Desc)
	}
	m.Config = putJSON(t, layout, ocispec.MediaTypeImageConfig, cfg)
	md := putJSON(t, layout, ocispec.MediaTypeImageManifest, m)
	md.Annotations = map[string]string{ocispec.AnnotationRefName: "test"}
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{md}}
	idx.SchemaVersion = 2
	b, _ := json.Marshal(idx)
	os.WriteFile(filepath.Join(layout, "index.json"), b, 0o644)
	os.WriteFile(filepath.Join(layout, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
}

// putJSON stores v as a blob and returns its descriptor.
func putJSON(t *testing.T, layout, mediaType string, v any) ocispec.Descriptor {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	hex := fmt.Sprintf("%x", sha256.Sum256(b))
	if err := os.WriteFile(filepath.Join(layout, "blobs", "sha256", hex), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return ocispec.Descriptor{MediaType: mediaType, Digest: digest.NewDigestFromEncoded(digest.SHA256, hex), Size: int64(len(b))}
}
