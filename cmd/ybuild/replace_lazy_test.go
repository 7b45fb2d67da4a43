package main

import (
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
