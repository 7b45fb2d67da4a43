package main

import (
	"strings"
	"testing"
)

// TestDuplicateThroughCopyHasPosition checks that a duplicate destination
// found only while walking two directory copies points at the spec entry
// (file:line:column and field path), like every other spec error.
func TestDuplicateThroughCopyHasPosition(t *testing.T) {
	file := cliSpecDir(t, map[string]string{
		"build.yaml":   "apiVersion: ybuild/v1\nbase: scratch\nlayers:\n  - files:\n      - {src: static, dst: /srv/www/}\n      - {src: web, dst: /srv/www/}\n",
		"static/a.txt": "a\n",
		"web/a.txt":    "other a\n",
	})
	r := cliRun("build", "-f", file, "--progress", "quiet", "--no-cache", "-o", "oci:"+t.TempDir()+"/out")
	want := "build.yaml:6:9: layers[0].files[1]: duplicate destination /srv/www/a.txt: files[0] "
	if r.code != exitUsage || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("exit %d, stderr %q; want exit 2 and one line with %q", r.code, r.stderr, want)
	}
}
