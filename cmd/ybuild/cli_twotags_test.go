package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestDockerArchiveTwoTags writes a docker archive under two tags (two
// index.json entries, one image) and uses it without naming a tag, with
// inspect and as a base: both entries agree, so it is not ambiguous (it
// was: "ambiguous reference").
func TestDockerArchiveTwoTags(t *testing.T) {
	file := cliSpecDir(t, map[string]string{"build.yaml": "apiVersion: ybuild/v1\nbase: scratch\ntags: [localhost/two:1, localhost/two:latest]\nfiles:\n  - {content: hi, dst: /hi}\n"})
	archive := filepath.Join(t.TempDir(), "two.tar")
	d := cliOneResult(t, cliBuild(t, "-f", file, "-o", "docker-archive:"+archive), "docker-archive:"+archive)

	r := cliRun("inspect", "docker-archive:"+archive)
	if r.code != exitOK || !strings.Contains(r.stdout, d.String()) {
		t.Fatalf("inspect: exit %d, stdout %q, stderr %q; want the image %s", r.code, r.stdout, r.stderr, d)
	}
	for _, ref := range []string{"", ":localhost/two:latest"} {
		next := cliSpecDir(t, map[string]string{"build.yaml": "apiVersion: ybuild/v1\nbase: docker-archive:" + archive + ref + "\nfiles:\n  - {content: more, dst: /more}\n"})
		layout := filepath.Join(t.TempDir(), "out")
		m := e2eManifest(t, layout, cliOneResult(t, cliBuild(t, "-f", next, "-o", "oci:"+layout), "oci:"+layout))
		if len(m.Layers) != 2 || m.Annotations["org.opencontainers.image.base.digest"] != d.String() {
			t.Errorf("base %q: %d layers, base.digest %q; want 2 and %s", ref, len(m.Layers), m.Annotations["org.opencontainers.image.base.digest"], d)
		}
	}
}
