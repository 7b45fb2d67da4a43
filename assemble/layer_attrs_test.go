package assemble

import (
	"archive/tar"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ybuild/ybuild/spec"
)

func TestWriteLayerModes(t *testing.T) {
	dir := t.TempDir()
	srcModes := map[string]os.FileMode{"plain": 0o600, "exec": 0o700, "group-x": 0o610, "suid": os.ModeSetuid | 0o755}
	for n, m := range srcModes {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, []byte(n), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, m); err != nil {
			t.Fatal(err)
		}
	}
	l := spec.Layer{Files: []spec.File{
		{Src: "plain", Dst: "/m/plain"},     // no x: fileMode
		{Src: "exec", Dst: "/m/exec"},       // x: fileMode + x where r
		{Src: "group-x", Dst: "/m/group-x"}, // any x bit counts
		{Src: "suid", Dst: "/m/suid"},       // source setuid never copied
		{Src: "exec", Dst: "/m/custom", Attrs: spec.Attrs{FileMode: "0640"}},
		{Src: "plain", Dst: "/m/absolute", Mode: "4711"}, // mode is absolute
	}}
	_, es := mustWrite(t, l, testEnv(t, dir))
	want := map[string]int64{"m/plain": 0o644, "m/exec": 0o755, "m/group-x": 0o755,
		"m/suid": 0o755, "m/custom": 0o750, "m/absolute": 0o4711}
	for n, m := range want {
		checkHeader(t, find(t, es, n), tar.TypeReg, m, "")
	}
}

func TestWriteLayerOwnerAndMtime(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"f": "f", "d/g": "g"})
	src := time.Date(2001, 2, 3, 4, 5, 6, 789, time.FixedZone("X", 3600))
	for _, p := range []string{"f", "d/g", "d"} {
		if err := os.Chtimes(filepath.Join(dir, p), src, src); err != nil {
			t.Fatal(err)
		}
	}
	fixed := "2020-01-02T03:04:05+02:00"
	l := spec.Layer{Attrs: spec.Attrs{Owner: "1000:1001"}, Files: []spec.File{
		{Src: "f", Dst: "/created"},
		{Src: "f", Dst: "/preserved", Attrs: spec.Attrs{Mtime: "preserve"}},
		{Src: "d", Dst: "/tree", Attrs: spec.Attrs{Mtime: "preserve", Owner: "0:5"}},
		{Src: "f", Dst: "/fixed", Attrs: spec.Attrs{Mtime: fixed}},
		{Dst: "/inline", Content: str("i"), Attrs: spec.Attrs{Mtime: "preserve"}},
	}}
	_, es := mustWrite(t, l, testEnv(t, dir))
	wantSrc := time.Date(2001, 2, 3, 3, 5, 6, 0, time.UTC)
	wantFixed, _ := time.Parse(time.RFC3339, fixed)
	cases := []struct {
		name     string
		mtime    time.Time
		uid, gid int
	}{
		{"created", testCreated, 1000, 1001},
		{"preserved", wantSrc, 1000, 1001},
		{"tree/g", wantSrc, 0, 5},
		{"fixed", wantFixed, 1000, 1001},
		{"inline", testCreated, 1000, 1001}, // preserve without a source: created
	}
	for _, c := range cases {
		h := find(t, es, c.name).h
		if !h.ModTime.Equal(c.mtime) || h.Uid != c.uid || h.Gid != c.gid || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: %v %d:%d %q:%q, want %v %d:%d", c.name, h.ModTime, h.Uid, h.Gid, h.Uname, h.Gname, c.mtime, c.uid, c.gid)
		}
	}
}

func TestWriteLayerMediaTypes(t *testing.T) {
	cases := []struct {
		f    spec.Format
		c    spec.Compression
		want string
	}{
		{spec.FormatOCI, spec.CompressionGzip, "application/vnd.oci.image.layer.v1.tar+gzip"},
		{spec.FormatOCI, spec.CompressionZstd, "application/vnd.oci.image.layer.v1.tar+zstd"},
		{spec.FormatOCI, spec.CompressionNone, "application/vnd.oci.image.layer.v1.tar"},
		{spec.FormatDocker, spec.CompressionGzip, "application/vnd.docker.image.rootfs.diff.tar.gzip"},
		{spec.FormatDocker, spec.CompressionNone, "application/vnd.docker.image.rootfs.diff.tar"},
	}
	for _, c := range cases {
		env := testEnv(t, t.TempDir())
		env.format, env.compression = c.f, c.c
		out, es := mustWrite(t, spec.Layer{Files: []spec.File{{Dst: "/a", Content: str("a")}}}, env)
		if out.Desc.MediaType != c.want || len(es) != 1 {
			t.Errorf("%s/%s: %s, %d entries", c.f, c.c, out.Desc.MediaType, len(es))
		}
		if c.c == spec.CompressionNone && out.Desc.Digest != out.DiffID {
			t.Errorf("uncompressed: digest %s != diffID %s", out.Desc.Digest, out.DiffID)
		}
		if fi, err := os.Stat(out.Path); err != nil || fi.Size() != out.Desc.Size {
			t.Errorf("blob file: %v size mismatch", err)
		}
	}
}
