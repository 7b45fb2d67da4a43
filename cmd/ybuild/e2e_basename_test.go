package main

import (
	"path/filepath"
	"testing"

	"github.com/ybuild/ybuild/internal/e2e"
	"github.com/ybuild/ybuild/internal/testbase"
)

// TestLayoutBaseName checks the org.opencontainers.image.base.name of
// images built on oci: and oci-archive: bases that skopeo wrote (no
// io.containerd.image.name, only a ref name): a ref name that is a whole
// name:tag becomes base.name (it was missing, although the docs promised
// it); a bare ref like "latest" names no image, so only base.digest is set.
func TestLayoutBaseName(t *testing.T) {
	skopeo := e2e.Require(t, "skopeo")
	dir := t.TempDir()
	testbase.Layout(t, filepath.Join(dir, "src"))
	layout, archive := filepath.Join(dir, "layout"), filepath.Join(dir, "base.tar")
	e2e.Run(t, skopeo, "copy", "--quiet", "oci:"+filepath.Join(dir, "src")+":"+testbase.Ref, "oci:"+layout+":localhost/busybox:1.36")
	e2e.Run(t, skopeo, "copy", "--quiet", "oci:"+filepath.Join(dir, "src")+":"+testbase.Ref, "oci:"+layout+":latest")
	e2e.Run(t, skopeo, "copy", "--quiet", "oci:"+filepath.Join(dir, "src")+":"+testbase.Ref, "oci-archive:"+archive+":localhost/busybox:1.36")
	for _, tc := range []struct{ base, want string }{
		{"oci:" + layout + ":localhost/busybox:1.36", "localhost/busybox:1.36"},
		{"oci-archive:" + archive, "localhost/busybox:1.36"},
		{"oci:" + layout + ":latest", ""},
	} {
		file := cliSpecDir(t, map[string]string{"build.yaml": "apiVersion: ybuild/v1\nbase: " + tc.base + "\nfiles:\n  - {content: x, dst: /x}\n"})
		out := filepath.Join(t.TempDir(), "out")
		m := e2eManifest(t, out, cliOneResult(t, cliBuild(t, "-f", file, "--platform", "linux/amd64", "-o", "oci:"+out), "oci:"+out))
		got, ok := m.Annotations["org.opencontainers.image.base.name"]
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("base %s: base.name %q (set %v), want %q", tc.base, got, ok, tc.want)
		}
		if m.Annotations["org.opencontainers.image.base.digest"] == "" {
			t.Errorf("base %s: no base.digest", tc.base)
		}
	}
}
