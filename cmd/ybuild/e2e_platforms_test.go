package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/e2e"
	"github.com/ybuild/ybuild/internal/testbase"
)

// e2eMultiSpec builds the busybox base for PLATFORMS, with a file chosen
// by ${TARGETARCH}.
const e2eMultiSpec = `apiVersion: ybuild/v1
name: e2e-multi
base: oci:base:latest
platforms: PLATFORMS
created: 2023-04-05T06:07:08Z
layers:
  - name: arch
    files:
      - {src: "arch/${TARGETARCH}.txt", dst: /etc/arch.txt}
      - {content: "platform=${TARGETPLATFORM}\n", dst: /etc/build-info}
config:
  env: {ARCH: "${TARGETARCH}"}
`

// TestE2EMultiPlatform builds an index from the two-platform busybox base
// and checks it with skopeo: two manifests, the right architecture in each
// config, and per-platform sources.
func TestE2EMultiPlatform(t *testing.T) {
	skopeo := e2e.Require(t, "skopeo")
	testbase.Busybox(t)
	for _, tc := range []struct{ name, platforms string }{
		{"list", "[linux/amd64, linux/arm64]"},
		{"all", "all"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			testbase.Layout(t, filepath.Join(dir, "base"))
			e2eWriteFiles(t, dir, map[string]string{
				"build.yaml":     strings.Replace(e2eMultiSpec, "PLATFORMS", tc.platforms, 1),
				"arch/amd64.txt": "x86-64\n",
				"arch/arm64.txt": "aarch64\n",
			})
			layout := filepath.Join(t.TempDir(), "layout")
			dest := "oci:" + layout + ":multi"
			res := e2eResults(t, e2eBuild(t, "-f", filepath.Join(dir, "build.yaml"), "-o", dest))

			var idx ocispec.Index
			e2eJSON(t, "skopeo inspect --raw", []byte(e2e.Run(t, skopeo, "inspect", "--raw", dest)), &idx)
			if digest.FromBytes(e2eBlob(t, layout, res[dest])) != res[dest] || idx.MediaType != ocispec.MediaTypeImageIndex {
				t.Fatalf("%s: top level is %q, want an OCI index", dest, idx.MediaType)
			}
			if len(idx.Manifests) != 2 {
				t.Fatalf("index has %d manifests, want 2 (no attestation): %+v", len(idx.Manifests), idx.Manifests)
			}
			want := map[string]string{"amd64": "x86-64\n", "arm64": "aarch64\n"}
			for _, d := range idx.Manifests {
				e2eCheckPlatformImage(t, layout, d, want)
			}
			if len(want) != 0 {
				t.Errorf("no image for %v", want)
			}
			for _, arch := range []string{"amd64", "arm64"} {
				info := e2eInspect(t, dest, "--override-arch", arch)
				if info.Architecture != arch || !slices.Contains(info.Env, "ARCH="+arch) {
					t.Errorf("skopeo inspect --override-arch %s: architecture %s, env %v", arch, info.Architecture, info.Env)
				}
			}
		})
	}
}

// e2eCheckPlatformImage checks one manifest of the multi-platform index:
// its config's platform and env, and the per-architecture file in its top
// layer. It deletes the architecture from want.
func e2eCheckPlatformImage(t *testing.T, layout string, d ocispec.Descriptor, want map[string]string) {
	t.Helper()
	if d.Platform == nil {
		t.Fatalf("index entry %s has no platform", d.Digest)
	}
	arch := d.Platform.Architecture
	m := e2eManifest(t, layout, d.Digest)
	var cfg ocispec.Image
	e2eJSON(t, "config", e2eBlob(t, layout, m.Config.Digest), &cfg)
	if cfg.Architecture != arch || cfg.OS != "linux" {
		t.Errorf("%s: config says %s/%s, index entry says linux/%s", d.Digest, cfg.OS, cfg.Architecture, arch)
	}
	if arch == "arm64" && (cfg.Variant != "v8" || d.Platform.Variant != "v8") {
		t.Errorf("%s: arm64 variant %q in config, %q in index, want the base's v8", d.Digest, cfg.Variant, d.Platform.Variant)
	}
	files := e2eLayerFiles(t, layout, m.Layers[len(m.Layers)-1].Digest)
	content, ok := want[arch]
	if !ok {
		t.Fatalf("unexpected or duplicate architecture %q", arch)
	}
	delete(want, arch)
	if files["etc/arch.txt"] != content {
		t.Errorf("%s: /etc/arch.txt = %q, want %q", arch, files["etc/arch.txt"], content)
	}
	if got, want := files["etc/build-info"], "platform="+testbase.PlatformString(*d.Platform)+"\n"; got != want {
		t.Errorf("%s: /etc/build-info = %q, want %q", arch, got, want)
	}
	if !slices.Contains(cfg.Config.Env, "ARCH="+arch) {
		t.Errorf("%s: env %v, want ARCH=%s", arch, cfg.Config.Env, arch)
	}
}
