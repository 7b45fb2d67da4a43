package main

import (
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/internal/testbase"
)

// replaceLazySpec replaces /usr/share/doc (in the base's top layer) on a
// registry base; DIRLINE (replaced before parsing) may state the directory's attributes itself.
const replaceLazySpec = `apiVersion: ybuild/v1
base: ${BASE}
args: {BASE: ""}
created: 2023-04-05T06:07:08Z
layers:
  - name: docs
    replace: [/usr/share/doc]
    files:
      - {content: "new docs\n", dst: /usr/share/doc/README}
      DIRLINE
`

// replaceLazyPush pushes replaceLazySpec built on the test base, stored in
// the same registry, and returns the registry and the base's amd64 image;
// the counter holds only the build's requests.
func replaceLazyPush(t *testing.T, dirLine string) (*registrytest.Registry, testbase.Image) {
	t.Helper()
	testbase.Busybox(t)
	reg := registrytest.New(t, registrytest.Options{})
	baseDir := filepath.Join(t.TempDir(), "base")
	info := testbase.Layout(t, baseDir)
	baseRef := reg.Host + "/lib/busybox:1"
	reg.PushLayout(t, baseDir, testbase.Ref, baseRef)
	reg.Counter.Reset()
	dir := t.TempDir()
	e2eWriteFiles(t, dir, map[string]string{"build.yaml": strings.Replace(replaceLazySpec, "DIRLINE", dirLine, 1)})
	e2eBuild(t, "-f", filepath.Join(dir, "build.yaml"), "--arg", "BASE="+baseRef,
		"--platform", "linux/amd64", "--cache-dir", t.TempDir(), "-o", "docker://"+reg.Host+"/team/docs:1")
	return reg, info.Image(t, "linux/amd64")
}

// TestReplaceExplicitAttrsNoBaseDownload: with the replaced directory's
// attributes in the spec, a push to the base's registry downloads no base
// layer (they are mounted, and nothing needs their headers).
func TestReplaceExplicitAttrsNoBaseDownload(t *testing.T) {
	reg, base := replaceLazyPush(t, `- {dst: /usr/share/doc, dir: true, mode: "0755", owner: "0:0"}`)
	for _, l := range base.Layers {
		if n := reg.Counter.Count(http.MethodGet, "/blobs/"+l.Digest.String()); n != 0 {
			t.Errorf("base layer %s downloaded %d times, want 0\n%v", l.Digest, n, reg.Counter.Requests())
		}
	}
}

// TestReplaceReadsTopLayerFirst: without attributes in the spec, the base
// is read top layer first and only until the directory is found, so the
// bottom layer (busybox, holding no /usr/share/doc) is never downloaded.
func TestReplaceReadsTopLayerFirst(t *testing.T) {
	reg, base := replaceLazyPush(t, "")
	if len(base.Layers) != 2 {
		t.Fatalf("test base has %d layers, want 2", len(base.Layers))
	}
	if n := reg.Counter.Count(http.MethodGet, "/blobs/"+base.Layers[1].Digest.String()); n != 1 {
		t.Errorf("top base layer downloaded %d times, want 1 (its headers give /usr/share/doc's attributes)", n)
	}
	if n := reg.Counter.Count(http.MethodGet, "/blobs/"+base.Layers[0].Digest.String()); n != 0 {
		t.Errorf("bottom base layer downloaded %d times, want 0\n%v", n, reg.Counter.Requests())
	}
}

// prefetchBaseSpec is a two-layer base whose layers are large enough
// (incompressible) that a reader stopping early leaves most of the blob
// unread: /usr/share/doc comes first in the top layer, before its big file.
const prefetchBaseSpec = `apiVersion: ybuild/v1
base: scratch
created: 2023-04-05T06:07:08Z
layers:
  - name: bottom
    files: [{src: big1, dst: /bottom/big}]
  - name: top
    files:
      - {dst: /usr/share/doc, dir: true, mode: "0750", owner: "1:2"}
      - {src: big2, dst: /zz/big}
`

// TestReplacePrefetchDownloadsOnce: writing a layout, the base layers are
// prefetched into the blob cache while the replace scan reads the top
// layer's headers: one download serves both, so each base layer blob is
// fetched once, and a rebuild from the cached base gives the same image.
func TestReplacePrefetchDownloadsOnce(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	baseDir := t.TempDir()
	rnd := rand.New(rand.NewPCG(1, 2))
	big := func() string {
		b := make([]byte, 4<<20)
		for i := range b {
			b[i] = byte(rnd.Uint32())
		}
		return string(b)
	}
	e2eWriteFiles(t, baseDir, map[string]string{"build.yaml": prefetchBaseSpec, "big1": big(), "big2": big()})
	layout := filepath.Join(baseDir, "layout")
	e2eBuild(t, "-f", filepath.Join(baseDir, "build.yaml"), "--cache-dir", t.TempDir(), "-o", "oci:"+layout+":base")
	baseRef := reg.Host + "/lib/big:1"
	reg.PushLayout(t, layout, "base", baseRef)

	dir := t.TempDir()
	e2eWriteFiles(t, dir, map[string]string{"build.yaml": strings.Replace(replaceLazySpec, "DIRLINE", "", 1)})
	cacheDir := t.TempDir()
	build := func(out string) string {
		res, stderr := buildStderr(t, "-f", filepath.Join(dir, "build.yaml"), "--arg", "BASE="+baseRef,
			"--cache-dir", cacheDir, "-o", "oci:"+out)
		if stderr != "" {
			t.Errorf("stderr: %s", stderr)
		}
		return res["oci:"+out].String()
	}
	reg.Counter.Reset()
	first := build(filepath.Join(t.TempDir(), "out"))
	gets := map[string]int{} // base layer blob GETs (the layers are the blobs over 1 MiB)
	for _, r := range reg.Counter.Requests() {
		if r.Method == http.MethodGet && strings.Contains(r.Path, "/blobs/") && r.BytesOut > 1<<20 {
			gets[r.Path] = reg.Counter.Count(http.MethodGet, r.Path)
		}
	}
	if len(gets) != 2 {
		t.Errorf("downloads of %d base layers, want 2: %v", len(gets), gets)
	}
	for p, n := range gets {
		if n != 1 {
			t.Errorf("base layer %s downloaded %d times, want 1", p, n)
		}
	}
	reg.Counter.Reset()
	if again := build(filepath.Join(t.TempDir(), "again")); again != first {
		t.Errorf("rebuild from the cached base: %s, want %s", again, first)
	}
	if n := reg.Counter.Count(http.MethodGet, "/blobs/"); n != 0 {
		t.Errorf("%d blob downloads with every base layer cached", n)
	}
}
