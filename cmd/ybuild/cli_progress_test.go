package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestProgressNamesPlatformAndBlobSize checks the plain progress lines of a
// two-platform build: each layer line names its platform, and its size is
// the size of the layer blob written (it was the content bytes, and lines
// of the two platforms could not be told apart).
func TestProgressNamesPlatformAndBlobSize(t *testing.T) {
	content := strings.Repeat("${TARGETARCH} compresses well ", 200)
	file := cliSpecDir(t, map[string]string{"build.yaml": "apiVersion: ybuild/v1\nbase: scratch\nplatforms: [linux/amd64, linux/arm64]\nlayers:\n  - name: app\n    files:\n      - {content: \"" + content + "\", dst: /arch}\n"})
	layout := filepath.Join(t.TempDir(), "out")
	r := cliRun("build", "-f", file, "--progress", "plain", "--no-cache", "-o", "oci:"+layout)
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var idx ocispec.Index
	d := cliOneResult(t, r.stdout, "oci:"+layout)
	e2eJSON(t, "index", e2eBlob(t, layout, d), &idx)
	if len(idx.Manifests) != 2 {
		t.Fatalf("index has %d manifests, want 2", len(idx.Manifests))
	}
	for _, desc := range idx.Manifests {
		m := e2eManifest(t, layout, desc.Digest)
		want := "app (" + platforms.Format(*desc.Platform) + "): done, " + humanBytes(m.Layers[0].Size) + "\n"
		if !strings.Contains(r.stderr, want) {
			t.Errorf("progress lacks %q:\n%s", want, r.stderr)
		}
	}
}
