package main

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/internal/testbase"
)

// trustSpec adds one layer to a registry base.
const trustSpec = `apiVersion: ybuild/v1
base: ${BASE}
args: {BASE: ""}
created: 2023-04-05T06:07:08Z
layers:
  - name: app
    files:
      - {src: app.txt, dst: /app.txt}
`

// trustFixture is a registry base, a spec, a cache and a layout output.
type trustFixture struct {
	spec, baseRef, cache, layout string
	base                         testbase.Image
}

func newTrustFixture(t *testing.T) *trustFixture {
	t.Helper()
	testbase.Busybox(t)
	reg := registrytest.New(t, registrytest.Options{})
	baseDir := filepath.Join(t.TempDir(), "base")
	info := testbase.Layout(t, baseDir)
	f := &trustFixture{baseRef: reg.Host + "/lib/busybox:1", cache: t.TempDir(),
		layout: filepath.Join(t.TempDir(), "out"), base: info.Image(t, "linux/amd64")}
	reg.PushLayout(t, baseDir, testbase.Ref, f.baseRef)
	dir := t.TempDir()
	e2eWriteFiles(t, dir, map[string]string{"build.yaml": trustSpec, "app.txt": strings.Repeat("app data\n", 4000)})
	f.spec = filepath.Join(dir, "build.yaml")
	return f
}

// build builds into the layout and returns the image digest.
func (f *trustFixture) build(t *testing.T, extra ...string) string {
	t.Helper()
	args := append([]string{"-f", f.spec, "--arg", "BASE=" + f.baseRef, "--platform", "linux/amd64",
		"--cache-dir", f.cache, "-o", "oci:" + f.layout}, extra...)
	return e2eResults(t, e2eBuild(t, args...))["oci:"+f.layout].String()
}

// blob returns the layout file of the blob with hex digest h.
func (f *trustFixture) blob(h string) string {
	return filepath.Join(f.layout, "blobs", "sha256", h)
}

// newLayer returns the hex digest of the image's one new layer: the layout
// blob that is neither a base layer nor JSON.
func (f *trustFixture) newLayer(t *testing.T) string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(f.layout, "blobs", "sha256"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if f.isBase(e.Name()) {
			continue
		}
		if data, _ := os.ReadFile(f.blob(e.Name())); len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b {
			return e.Name()
		}
	}
	t.Fatal("no new layer in the layout")
	return ""
}

func (f *trustFixture) isBase(h string) bool {
	for _, l := range f.base.Layers {
		if l.Digest.Encoded() == h {
			return true
		}
	}
	return false
}

// corruptInPlace flips one byte of p without changing its size or inode.
func corruptInPlace(t *testing.T, p string) {
	t.Helper()
	if err := os.Chmod(p, 0o644); err != nil { // cached blobs are read-only
		t.Fatal(err)
	}
	fh, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	b := make([]byte, 1)
	if _, err := fh.ReadAt(b, 20); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := fh.WriteAt(b, 20); err != nil {
		t.Fatal(err)
	}
}

// replaceFile puts a new file with data (same size, other content) at p.
func replaceFile(t *testing.T, p string) {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Clone(data)
	data[len(data)/2] ^= 0xff
	tmp := p + ".new"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
}

// TestTrustedBlobChangedIsNeverShipped damages blobs a rebuild would
// otherwise trust without hashing: in place (same size, same inode) and
// by putting another file in place. The rebuild gives the same digest and
// leaves every blob of the layout and of the cache matching its digest.
func TestTrustedBlobChangedIsNeverShipped(t *testing.T) {
	cases := []struct {
		name   string
		damage func(t *testing.T, f *trustFixture)
	}{
		{"new layer in the layout, in place (the cache's file too: a hard link)", func(t *testing.T, f *trustFixture) {
			corruptInPlace(t, f.blob(f.newLayer(t)))
		}},
		{"new layer in the cache, in place", func(t *testing.T, f *trustFixture) {
			corruptInPlace(t, filepath.Join(f.cache, "blobs", "sha256", f.newLayer(t)))
		}},
		{"base layer in the layout, in place (linked to the blob cache)", func(t *testing.T, f *trustFixture) {
			corruptInPlace(t, f.blob(f.base.Layers[0].Digest.Encoded()))
		}},
		{"new layer in the layout, replaced by another file", func(t *testing.T, f *trustFixture) {
			replaceFile(t, f.blob(f.newLayer(t)))
		}},
		{"base layer in the cache, replaced by another file", func(t *testing.T, f *trustFixture) {
			replaceFile(t, filepath.Join(f.cache, "blobs", "sha256", f.base.Layers[1].Digest.Encoded()))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newTrustFixture(t)
			want := f.build(t)
			if got := f.build(t); got != want { // trusted from here on
				t.Fatalf("rebuild: %s, want %s", got, want)
			}
			tc.damage(t, f)
			if got := f.build(t); got != want {
				t.Errorf("rebuild after the damage: %s, want %s", got, want)
			}
			checkBlobsDir(t, f.layout)
			checkCacheDir(t, f.cache)
		})
	}
}

// TestTrustedLayoutSharesCacheFiles: a layout's base and new layers are
// the blob cache's files (hard links), so nothing is copied.
func TestTrustedLayoutSharesCacheFiles(t *testing.T) {
	f := newTrustFixture(t)
	f.build(t)
	for _, h := range []string{f.newLayer(t), f.base.Layers[0].Digest.Encoded(), f.base.Layers[1].Digest.Encoded()} {
		a, err := os.Stat(f.blob(h))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.Stat(filepath.Join(f.cache, "blobs", "sha256", h))
		if err != nil {
			t.Fatal(err)
		}
		if !os.SameFile(a, b) {
			t.Errorf("layout blob %s is not the cache's file", h)
		}
	}
}

// TestCacheVerifyRemovesDamagedBlob: `ybuild cache verify` hashes every
// cached blob whatever the records say and removes the damaged one.
func TestCacheVerifyRemovesDamagedBlob(t *testing.T) {
	f := newTrustFixture(t)
	want := f.build(t)
	h := f.newLayer(t)
	corruptInPlace(t, filepath.Join(f.cache, "blobs", "sha256", h))
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"cache", "verify", "--cache-dir", f.cache}, &stdout, &stderr); code != exitOK {
		t.Fatalf("cache verify: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "1 damaged removed") {
		t.Errorf("stdout %q: want 1 damaged removed", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(f.cache, "blobs", "sha256", h)); !os.IsNotExist(err) {
		t.Errorf("damaged blob still cached (%v)", err)
	}
	checkCacheDir(t, f.cache)
	if got := f.build(t, "--verify-blobs"); got != want {
		t.Errorf("rebuild with --verify-blobs: %s, want %s", got, want)
	}
	checkBlobsDir(t, f.layout)
}

// checkBlobsDir fails on any layout blob whose content does not match its name.
func checkBlobsDir(t *testing.T, layout string) {
	t.Helper()
	checkCacheDir(t, layout) // the same check: blobs/sha256/<hex> match their names
}

// TestBaseDownloadedOnceForLayout: the base layers a layout needs are
// downloaded while the new layer is written, and only once.
func TestBaseDownloadedOnceForLayout(t *testing.T) {
	testbase.Busybox(t)
	reg := registrytest.New(t, registrytest.Options{})
	baseDir := filepath.Join(t.TempDir(), "base")
	info := testbase.Layout(t, baseDir)
	baseRef := reg.Host + "/lib/busybox:1"
	reg.PushLayout(t, baseDir, testbase.Ref, baseRef)
	reg.Counter.Reset()
	f := &trustFixture{baseRef: baseRef, cache: t.TempDir(), layout: filepath.Join(t.TempDir(), "out"), base: info.Image(t, "linux/amd64")}
	dir := t.TempDir()
	e2eWriteFiles(t, dir, map[string]string{"build.yaml": trustSpec, "app.txt": "app\n"})
	f.spec = filepath.Join(dir, "build.yaml")
	f.build(t)
	for _, l := range f.base.Layers {
		if n := reg.Counter.Count(http.MethodGet, "/blobs/"+l.Digest.String()); n != 1 {
			t.Errorf("base layer %s downloaded %d times, want 1", l.Digest, n)
		}
	}
	checkBlobsDir(t, f.layout)
}
