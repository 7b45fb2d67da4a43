package assemble

import (
	"archive/tar"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ybuild/ybuild/internal/testbase"
)

func TestApplyBaseHeader(t *testing.T) {
	want := map[string]bool{"tmp": true, "var/www": true, "opt/app": true}
	dir := func(name string, mode int64, uid int) *tar.Header {
		return &tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: mode, Uid: uid, Gid: uid}
	}
	reg := func(name string) *tar.Header { return &tar.Header{Name: name, Typeflag: tar.TypeReg} }
	tests := []struct {
		name    string
		headers []*tar.Header
		found   string
	}{
		{"recorded, any spelling", []*tar.Header{dir("./tmp/", 0o41777, 0), dir("/var/www", 0o755, 33)}, "tmp=1777:0 var/www=755:33"},
		{"unwanted ignored", []*tar.Header{dir("etc/", 0o755, 0), dir("var/", 0o700, 5)}, ""},
		{"upper layer wins", []*tar.Header{dir("tmp/", 0o755, 0), dir("tmp/", 0o1777, 0)}, "tmp=1777:0"},
		{"whiteout drops it", []*tar.Header{dir("tmp/", 0o1777, 0), reg(".wh.tmp")}, ""},
		{"ancestor whiteout", []*tar.Header{dir("var/www/", 0o755, 33), reg("var/.wh.www"), dir("opt/app", 0o750, 7), reg(".wh.opt")}, ""},
		{"opaque parent drops children", []*tar.Header{dir("var/www/", 0o755, 33), dir("tmp/", 0o1777, 0), reg("var/.wh..wh..opq")}, "tmp=1777:0"},
		{"root opaque drops all", []*tar.Header{dir("tmp/", 0o1777, 0), reg(".wh..wh..opq")}, ""},
		{"file replaces dir", []*tar.Header{dir("tmp/", 0o1777, 0), reg("tmp")}, ""},
		{"dir again keeps children", []*tar.Header{dir("opt/app", 0o750, 7), dir("opt/", 0o755, 0)}, "opt/app=750:7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			found := map[string]dirAttrs{}
			for _, h := range tc.headers {
				applyBaseHeader(h, want, found)
			}
			if got := dirsString(found); got != tc.found {
				t.Errorf("found %q, want %q", got, tc.found)
			}
		})
	}
}

// dirsString renders found as sorted "name=mode:uid" words.
func dirsString(found map[string]dirAttrs) string {
	var out []string
	for n, d := range found {
		out = append(out, fmt.Sprintf("%s=%o:%d", n, d.Mode, d.UID))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// replaceSpec replaces base directories without re-adding them.
const replaceSpec = `apiVersion: ybuild/v1
base: oci:layout
layers:
  - name: opaque
    owner: "1000:1000"
    replace: [/tmp/, /var/www, /srv]
    files:
      - {content: "new\n", dst: /var/www/index.html}
`

// TestBuildReplaceKeepsBaseDirAttrs checks that an opaque directory keeps
// the base's owner, mode and mtime (a rewritten /tmp would lose 1777), and
// one the base lacks gets the layer's.
func TestBuildReplaceKeepsBaseDirAttrs(t *testing.T) {
	bs := newBases(t)
	b := parseSpec(t, replaceSpec, nil)
	im := build(t, b, bs.open(t, "oci:layout", b))
	layers := im.Manifests[0].Layers
	es := readLayer(t, layerBlob{Path: im.Path(layers[len(layers)-1])})
	created := time.Unix(0, 0).UTC() // Options.Created is unset
	checks := []struct {
		name     string
		mode     int64
		uid, gid int
		mtime    time.Time
	}{
		{"tmp/", 0o1777, 0, 0, testbase.Mtime},
		{"var/www/", 0o755, 33, 33, testbase.Mtime},
		{"srv/", 0o755, 1000, 1000, created},
	}
	for _, c := range checks {
		h := find(t, es, c.name).h
		if h.Mode != c.mode || h.Uid != c.uid || h.Gid != c.gid || !h.ModTime.Equal(c.mtime) {
			t.Errorf("%s: mode %o %d:%d %s, want %o %d:%d %s", c.name, h.Mode, h.Uid, h.Gid, h.ModTime, c.mode, c.uid, c.gid, c.mtime)
		}
	}
	find(t, es, "tmp/.wh..wh..opq")
	find(t, es, "var/www/.wh..wh..opq")
}
