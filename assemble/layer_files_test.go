package assemble

import (
	"archive/tar"
	"context"
	"crypto/sha1" //nolint:gosec // what SPDX 2.3 lists
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/ybuild/ybuild/spec"
)

// wantFiles lists the regular files of a written layer as File records,
// hashing the contents read back from the blob: every regular file but
// whiteouts, in tar order, without Go build information.
func wantFiles(es []tarEntry) []File {
	out := []File{}
	for _, e := range es {
		if e.h.Typeflag != tar.TypeReg || strings.HasPrefix(base(e.h.Name), whiteoutPrefix) {
			continue
		}
		s256, s1 := sha256.Sum256([]byte(e.body)), sha1.Sum([]byte(e.body)) //nolint:gosec // SPDX
		out = append(out, File{Path: "/" + e.h.Name, Mode: e.h.Mode, Size: e.h.Size,
			SHA256: hex.EncodeToString(s256[:]), SHA1: hex.EncodeToString(s1[:])})
	}
	return out
}

// TestRecordFiles: with RecordFiles a written layer lists its regular
// files (copied, inline, empty, extracted; not whiteouts, directories or
// hardlinks) with the digests of their contents in the blob; without it,
// or from the layer cache, nothing is recorded.
func TestRecordFiles(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"tree/a.txt": "alpha\n", "tree/empty": "", "tree/sub/b.txt": "beta\n"})
	if err := os.WriteFile(filepath.Join(dir, "tree/run"), []byte("\x7fELF but no Go binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(dir, "tree/a.txt"), filepath.Join(dir, "tree/sub/a-link")); err != nil {
		t.Fatal(err)
	}
	makeArchive(t, dir, "a.tar", "gzip", goodArchive)
	l := spec.Layer{Files: []spec.File{
		{Src: "tree", Dst: "/srv"},
		{Content: ptr("conf\n"), Dst: "/etc/app.conf", Mode: "0600"},
		{Src: "a.tar", Dst: "/x", Extract: true},
	}, Delete: []string{"/old"}}
	for _, record := range []bool{true, false} {
		env := testEnv(t, dir)
		env.RecordFiles = record
		out, es := mustWrite(t, l, env)
		if out.Recorded != record {
			t.Fatalf("RecordFiles %v: recorded %v", record, out.Recorded)
		}
		if !record {
			continue
		}
		if want := wantFiles(es); !reflect.DeepEqual(out.Files, want) {
			t.Errorf("recorded\n %+v\nwant\n %+v", out.Files, want)
		}
		var sawLink, sawWhiteout, sawExtracted bool
		for _, e := range es {
			sawLink = sawLink || e.h.Typeflag == tar.TypeLink
			sawWhiteout = sawWhiteout || strings.HasPrefix(base(e.h.Name), whiteoutPrefix)
			sawExtracted = sawExtracted || strings.HasPrefix(e.h.Name, "x/") && e.h.Typeflag == tar.TypeReg
		}
		if !sawLink || !sawWhiteout || !sawExtracted {
			t.Errorf("the layer lacks a hardlink (%v), a whiteout (%v) or an extracted file (%v)", sawLink, sawWhiteout, sawExtracted)
		}
	}

	// From the layer cache: not recorded (the SBOM reads the saved list).
	cacheLayer := spec.Layer{Files: []spec.File{{Src: "tree", Dst: "/srv"}}}
	var labels []string
	env := cacheEnv(t, dir, t.TempDir(), &labels)
	env.RecordFiles = true
	for i, want := range []bool{true, false} {
		out, err := writeLayer(context.Background(), cacheLayer, env)
		if err != nil {
			t.Fatal(err)
		}
		if out.Recorded != want {
			t.Errorf("build %d: recorded %v, want %v (progress %q)", i+1, out.Recorded, want, labels)
		}
	}
}

// TestRecordFilesGoBinary: the Go build information of an executable is
// recorded from its source (this test binary, a Go program).
func TestRecordFilesGoBinary(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	env := testEnv(t, filepath.Dir(self))
	env.compression = spec.CompressionNone
	env.RecordFiles = true
	out, err := writeLayer(context.Background(), spec.Layer{Files: []spec.File{
		{Src: filepath.Base(self), Dst: "/bin/self", Mode: "0755"},
		{Src: filepath.Base(self), Dst: "/lib/self.data", Mode: "0644"},
	}}, env)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Files) != 2 {
		t.Fatalf("files %+v", out.Files)
	}
	if g := out.Files[0].Go; g == nil || g.GoVersion != runtime.Version() || g.Main.Path != "github.com/ybuild/ybuild" {
		t.Errorf("/bin/self: Go information %+v, want %s of github.com/ybuild/ybuild", g, runtime.Version())
	}
	if g := out.Files[1].Go; g != nil {
		t.Errorf("a file without the executable bit gets Go information %+v", g)
	}
}
