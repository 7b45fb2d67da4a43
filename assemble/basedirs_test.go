package assemble

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/testbase"
)

// memLayers is a BlobSource of uncompressed tar layers that records which
// layers were opened and how many bytes were read.
type memLayers struct {
	blobs  map[digest.Digest][]byte
	opened []int
	index  map[digest.Digest]int
}

// newMemLayers makes one tar layer per header list, bottom first.
func newMemLayers(t *testing.T, layers [][]*tar.Header) (*memLayers, []ocispec.Descriptor) {
	t.Helper()
	m := &memLayers{blobs: map[digest.Digest][]byte{}, index: map[digest.Digest]int{}}
	var descs []ocispec.Descriptor
	for i, hs := range layers {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, h := range hs {
			if err := tw.WriteHeader(h); err != nil {
				t.Fatal(err)
			}
		}
		// Padding after the headers: a layer read to its end is longer.
		if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("zz-pad-%d", i), Typeflag: tar.TypeReg, Size: 4096}); err != nil {
			t.Fatal(err)
		}
		tw.Write(make([]byte, 4096))
		tw.Close()
		d := digest.FromBytes(buf.Bytes())
		m.blobs[d], m.index[d] = buf.Bytes(), i
		descs = append(descs, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: d, Size: int64(buf.Len())})
	}
	return m, descs
}

// Open returns the layer's bytes and records the open.
func (m *memLayers) Open(_ context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	m.opened = append(m.opened, m.index[desc.Digest])
	return io.NopCloser(bytes.NewReader(m.blobs[desc.Digest])), nil
}

func TestBaseDirsTopDown(t *testing.T) {
	want := map[string]bool{"tmp": true, "var/www": true, "opt/app": true}
	dir := func(name string, mode int64, uid int) *tar.Header {
		return &tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: mode, Uid: uid, Gid: uid}
	}
	reg := func(name string) *tar.Header { return &tar.Header{Name: name, Typeflag: tar.TypeReg} }
	sym := func(name string) *tar.Header {
		return &tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: "x"}
	}
	type layers = [][]*tar.Header
	tests := []struct {
		name   string
		layers layers
		found  string
		opened string // layers opened, top first
	}{
		{"recorded, any spelling", layers{{dir("./tmp/", 0o41777, 0), dir("/var/www", 0o755, 33)}}, "tmp=1777:0 var/www=755:33", "0"},
		{"unwanted ignored", layers{{dir("etc/", 0o755, 0), dir("var/", 0o700, 5)}}, "", "0"},
		{"upper layer wins", layers{{dir("tmp/", 0o755, 0)}, {dir("tmp/", 0o1777, 0)}}, "tmp=1777:0", "1 0"},
		{"whiteout drops it", layers{{dir("tmp/", 0o1777, 0)}, {reg(".wh.tmp")}}, "", "1 0"},
		{"ancestor whiteout", layers{{dir("var/www/", 0o755, 33), dir("opt/app", 0o750, 7)}, {reg("var/.wh.www"), reg(".wh.opt")}}, "", "1 0"},
		{"opaque parent hides children", layers{{dir("var/www/", 0o755, 33), dir("tmp/", 0o1777, 0)}, {reg("var/.wh..wh..opq")}}, "tmp=1777:0", "1 0"},
		{"opaque parent, dir again above", layers{{dir("var/www/", 0o755, 33)}, {reg("var/.wh..wh..opq"), dir("var/www/", 0o700, 5)}}, "var/www=700:5", "1 0"},
		{"root opaque drops all", layers{{dir("tmp/", 0o1777, 0)}, {reg(".wh..wh..opq")}}, "", "1"},
		{"file replaces dir", layers{{dir("tmp/", 0o1777, 0)}, {reg("tmp")}}, "", "1 0"},
		{"symlink ancestor", layers{{dir("var/www/", 0o755, 33)}, {sym("var")}}, "", "1 0"},
		{"dir again keeps children", layers{{dir("opt/app", 0o750, 7)}, {dir("opt/", 0o755, 0)}}, "opt/app=750:7", "1 0"},
		{"all found in the top layer: lower layers never opened", layers{
			{dir("tmp/", 0o700, 1)}, {dir("var/", 0o755, 0)},
			{dir("tmp/", 0o1777, 0), dir("var/www/", 0o755, 33), dir("opt/app", 0o750, 7)},
		}, "opt/app=750:7 tmp=1777:0 var/www=755:33", "2"},
		{"settled halfway down", layers{
			{dir("opt/app", 0o700, 1)}, {dir("opt/app", 0o750, 7), reg("var")},
			{dir("tmp/", 0o1777, 0)},
		}, "opt/app=750:7 tmp=1777:0", "2 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, descs := newMemLayers(t, tc.layers)
			found, err := baseDirs(context.Background(), src, descs, nil, want)
			if err != nil {
				t.Fatal(err)
			}
			if got := dirsString(found); got != tc.found {
				t.Errorf("found %q, want %q", got, tc.found)
			}
			if got := strings.Trim(fmt.Sprint(src.opened), "[]"); got != tc.opened {
				t.Errorf("opened layers %s, want %s", got, tc.opened)
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

// TestBaseDirsDiffID: a layer the scan reads to its end must match its
// diff_id; one it leaves early (everything settled) is not checked.
func TestBaseDirsDiffID(t *testing.T) {
	want := map[string]bool{"tmp": true}
	dir := &tar.Header{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 0o1777}
	src, descs := newMemLayers(t, [][]*tar.Header{{dir}, {{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755}}})
	wrong := []digest.Digest{digest.FromString("a"), digest.FromString("b")}
	if _, err := baseDirs(context.Background(), src, descs, wrong, want); err == nil || !strings.Contains(err.Error(), "diff_id") {
		t.Errorf("top layer read to its end with a wrong diff_id: err %v, want a diff_id mismatch", err)
	}
	src, descs = newMemLayers(t, [][]*tar.Header{{{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755}}, {dir}})
	found, err := baseDirs(context.Background(), src, descs, wrong, want)
	if err != nil || dirsString(found) != "tmp=1777:0" {
		t.Errorf("found in the top layer, left early: %q, %v; want tmp=1777:0 and no check", dirsString(found), err)
	}
}
