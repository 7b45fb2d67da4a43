package assemble

import (
	"archive/tar"
	"context"
	"testing"

	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/resolve"
)

// TestScratchStackAncestors builds four layers on scratch for two
// platforms: implicit ancestors take the attributes the layers below give
// the directory, a deleted or replaced directory falls back to the
// defaults, and a layer repeated at another height is not shared.
func TestScratchStackAncestors(t *testing.T) {
	b := parseSpec(t, `apiVersion: ybuild/v1
base: scratch
platforms: [linux/amd64, linux/arm64]
defaults: {dirMode: "0711"}
layers:
  - files:
      - {dst: /tmp, dir: true, mode: "1777"}
      - {dst: /a/b, dir: true, owner: "5:6", mode: "0700"}
      - {dst: /r/s, dir: true, mode: "0750"}
  - files:
      - {dst: /tmp/x, content: x}
      - {dst: /a/b/c, content: c}
      - {dst: /r/s/t, content: t}
  - delete: [/a/b]
    replace: [/r]
  - files:
      - {dst: /tmp/x, content: x}
      - {dst: /a/b/c, content: c}
      - {dst: /r/s/t, content: t}
`, nil)
	base, err := resolve.Open(context.Background(), "scratch", resolve.Options{
		Platforms: parsePlatforms(t, "linux/amd64", "linux/arm64")})
	if err != nil {
		t.Fatal(err)
	}
	im := build(t, b, base)
	dir := func(layer int, name string) *tar.Header {
		t.Helper()
		l := im.Manifests[0].Layers[layer]
		return find(t, readLayer(t, layerBlob{Desc: l, Path: im.Path(l)}), name).h
	}
	check := func(h *tar.Header, mode int64, uid, gid int) {
		t.Helper()
		if h.Mode != mode || h.Uid != uid || h.Gid != gid {
			t.Errorf("%s: %o %d:%d, want %o %d:%d", h.Name, h.Mode, h.Uid, h.Gid, mode, uid, gid)
		}
	}
	check(dir(1, "tmp/"), 0o1777, 0, 0)
	check(dir(1, "a/b/"), 0o700, 5, 6)
	check(dir(1, "a/"), 0o711, 0, 0) // layer 0's own ancestor
	check(dir(1, "r/s/"), 0o750, 0, 0)
	check(dir(3, "tmp/"), 0o1777, 0, 0)
	check(dir(3, "a/b/"), 0o711, 0, 0) // deleted by layer 2
	check(dir(3, "r/s/"), 0o711, 0, 0) // r replaced by layer 2, s gone
	check(dir(3, "r/"), 0o755, 0, 0)   // as layer 2 wrote its replace dir r/
	if im.Manifests[0].Layers[1].Digest == im.Manifests[0].Layers[3].Digest {
		t.Error("layers 1 and 3 have different ancestors but one digest")
	}
	for i, l := range im.Manifests[1].Layers {
		if l.Digest != im.Manifests[0].Layers[i].Digest {
			t.Errorf("layer %d differs between the platforms", i)
		}
	}
}

// parsePlatforms parses os/arch names.
func parsePlatforms(t *testing.T, names ...string) []ocispec.Platform {
	t.Helper()
	ps, err := platforms.ParseAll(names)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}
