package resolve_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/internal/testbase"
	"github.com/ybuild/ybuild/resolve"
)

// singleLayout writes the linux/amd64 test image as a single-manifest
// layout (ref "latest") after mutate changed its config, and returns dir.
func singleLayout(t *testing.T, mutate func(cfg map[string]any)) string {
	t.Helper()
	dir := t.TempDir()
	im := testbase.Layout(t, dir).Image(t, "linux/amd64")
	var cfg map[string]any
	if err := json.Unmarshal(im.ConfigJSON, &cfg); err != nil {
		t.Fatal(err)
	}
	mutate(cfg)
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Layers: im.Layers,
		Config: testbase.WriteBlob(t, dir, ocispec.MediaTypeImageConfig, testbase.JSON(t, cfg))}
	m.SchemaVersion = 2
	md := testbase.WriteBlob(t, dir, ocispec.MediaTypeImageManifest, testbase.JSON(t, m))
	md.Annotations = map[string]string{ocispec.AnnotationRefName: "latest"}
	testbase.WriteIndex(t, dir, ocispec.Index{Versioned: testbase.Versioned, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{md}})
	return dir
}

// TestRegistryHostileBase pushes inconsistent or oversized images to the
// real registry and checks that pulling them as a base fails with
// ErrInvalidBase: a 9 MiB config (over the 8 MiB bound on JSON documents)
// and a config with one diff_id for two layers.
func TestRegistryHostileBase(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	for _, tc := range []struct {
		name   string
		mutate func(cfg map[string]any)
		want   string
	}{
		{"config over 8 MiB", func(cfg map[string]any) {
			cfg["config"].(map[string]any)["Labels"] = map[string]string{"pad": strings.Repeat("x", 9<<20)}
		}, "too large"},
		{"diff_ids fewer than layers", func(cfg map[string]any) {
			rootfs := cfg["rootfs"].(map[string]any)
			rootfs["diff_ids"] = rootfs["diff_ids"].([]any)[:1]
		}, "config has 1 diff_ids for 2 layers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref := reg.Host + "/lib/hostile:" + strings.ReplaceAll(tc.name, " ", "-")
			reg.PushLayout(t, singleLayout(t, tc.mutate), "latest", ref)
			_, err := resolve.Open(context.Background(), ref, resolve.Options{CacheDir: t.TempDir()})
			if !errors.Is(err, resolve.ErrInvalidBase) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open: %v; want an invalid base error saying %q", err, tc.want)
			}
		})
	}
}
