package assemble

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/ybuild/ybuild/spec"
)

// archiveTime is the mtime of entries in test archives.
var archiveTime = time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)

// arEntry is one entry of a test archive.
type arEntry struct {
	name string
	typ  byte
	mode int64
	body string // content, or link target
}

// makeArchive writes a tar archive, compressed with comp, to dir/name.
func makeArchive(t testing.TB, dir, name, comp string, es []arEntry) {
	t.Helper()
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	for _, e := range es {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, ModTime: archiveTime,
			Uid: 501, Gid: 20, Uname: "someone", Gname: "staff"}
		if e.typ == tar.TypeReg {
			h.Size = int64(len(e.body))
		} else if e.typ == tar.TypeSymlink || e.typ == tar.TypeLink {
			h.Linkname = e.body
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			io.WriteString(tw, e.body)
		}
	}
	tw.Close()
	var out bytes.Buffer
	var w io.WriteCloser = nopWriteCloser{&out}
	switch comp {
	case "gzip":
		w = gzip.NewWriter(&out)
	case "zstd":
		w, _ = zstd.NewWriter(&out)
	case "xz":
		w, _ = xz.NewWriter(&out)
	}
	w.Write(raw.Bytes())
	w.Close()
	if err := os.WriteFile(filepath.Join(dir, name), out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// goodArchive is a well-behaved archive.
var goodArchive = []arEntry{
	{"./", tar.TypeDir, 0o755, ""},
	{"./bin/", tar.TypeDir, 0o700, ""},
	{"./bin/run", tar.TypeReg, 0o4750, "#!/bin/sh\n"},
	{"./bin/zrun", tar.TypeLink, 0o4750, "bin/run"},
	{"./bin/alias", tar.TypeLink, 0o4750, "./bin/run"},
	{"./lib/", tar.TypeDir, 0o755, ""},
	{"./lib/libc.so", tar.TypeSymlink, 0o777, "../../../lib/real.so"},
	{"data.txt", tar.TypeReg, 0o600, "data"},
}

func TestWriteLayerExtract(t *testing.T) {
	for _, comp := range []string{"none", "gzip", "zstd", "xz"} {
		t.Run(comp, func(t *testing.T) {
			dir := t.TempDir()
			makeArchive(t, dir, "payload.bin", comp, goodArchive) // detected by magic, not name
			l := spec.Layer{Files: []spec.File{{Src: "payload.bin", Dst: "/opt/pkg", Extract: true,
				Attrs: spec.Attrs{Owner: "7:8"}}}}
			_, es := mustWrite(t, l, testEnv(t, dir))
			equalNames(t, es, "opt/pkg/bin/", "opt/pkg/bin/alias", "opt/pkg/bin/run", "opt/pkg/bin/zrun",
				"opt/pkg/data.txt", "opt/pkg/lib/", "opt/pkg/lib/libc.so")
			checkHeader(t, find(t, es, "opt/pkg/bin/"), tar.TypeDir, 0o700, "")
			// The first hardlink in sorted order becomes the file.
			alias := find(t, es, "opt/pkg/bin/alias")
			checkHeader(t, alias, tar.TypeReg, 0o4750, "")
			if alias.body != "#!/bin/sh\n" {
				t.Errorf("alias body %q", alias.body)
			}
			checkHeader(t, find(t, es, "opt/pkg/bin/run"), tar.TypeLink, 0o4750, "opt/pkg/bin/alias")
			checkHeader(t, find(t, es, "opt/pkg/bin/zrun"), tar.TypeLink, 0o4750, "opt/pkg/bin/alias")
			checkHeader(t, find(t, es, "opt/pkg/lib/libc.so"), tar.TypeSymlink, 0o777, "../../../lib/real.so")
			for _, e := range es {
				if e.h.Uid != 7 || e.h.Gid != 8 || !e.h.ModTime.Equal(testCreated) {
					t.Errorf("%s: %d:%d %v", e.h.Name, e.h.Uid, e.h.Gid, e.h.ModTime)
				}
			}
		})
	}
}

func TestWriteLayerExtractPreserveMtime(t *testing.T) {
	dir := t.TempDir()
	makeArchive(t, dir, "a.tar", "gzip", goodArchive)
	l := spec.Layer{Files: []spec.File{{Src: "a.tar", Dst: "/x", Extract: true, Attrs: spec.Attrs{Mtime: "preserve"}}}}
	_, es := mustWrite(t, l, testEnv(t, dir))
	if h := find(t, es, "x/data.txt").h; !h.ModTime.Equal(archiveTime) {
		t.Errorf("mtime %v", h.ModTime)
	}
}

func TestWriteLayerExtractRefusesEscapes(t *testing.T) {
	cases := []struct {
		name    string
		entries []arEntry
		wantErr error
		wantMsg string
	}{
		{"dotdot", []arEntry{{"../evil", tar.TypeReg, 0o644, "x"}}, ErrEscape, `"../evil"`},
		{"inner dotdot", []arEntry{{"a/../../evil", tar.TypeReg, 0o644, "x"}}, ErrEscape, ""},
		{"absolute", []arEntry{{"/etc/passwd", tar.TypeReg, 0o644, "x"}}, ErrEscape, "absolute"},
		{"through symlink", []arEntry{
			{"link", tar.TypeSymlink, 0o777, "/etc"},
			{"link/passwd", tar.TypeReg, 0o644, "x"},
		}, ErrEscape, `goes through symlink "link"`},
		{"through relative symlink", []arEntry{
			{"up", tar.TypeSymlink, 0o777, "../.."},
			{"up/x/y", tar.TypeReg, 0o644, "x"},
		}, ErrEscape, "symlink"},
		{"hardlink outside", []arEntry{{"h", tar.TypeLink, 0o644, "../../etc/shadow"}}, ErrEscape, "link target"},
		{"hardlink unknown", []arEntry{{"h", tar.TypeLink, 0o644, "etc/shadow"}}, ErrEscape, "earlier file"},
		{"whiteout", []arEntry{{".wh.foo", tar.TypeReg, 0o644, ""}}, ErrInvalidPath, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			makeArchive(t, dir, "a.tar", "gzip", c.entries)
			env := testEnv(t, dir)
			l := spec.Layer{Files: []spec.File{{Src: "a.tar", Dst: "/x", Extract: true}}}
			_, err := writeLayer(context.Background(), l, env)
			if !errors.Is(err, c.wantErr) || !strings.Contains(err.Error(), c.wantMsg) {
				t.Fatalf("got %v, want %v containing %q", err, c.wantErr, c.wantMsg)
			}
			if !strings.Contains(err.Error(), "extract a.tar") {
				t.Errorf("error does not name the archive: %v", err)
			}
			assertNoTemp(t, env.BlobDir)
		})
	}
}

func TestWriteLayerExtractNotArchive(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"notes.txt": "hello, not a tar archive at all"})
	makeArchive(t, dir, "b.bz2", "none", nil)
	os.WriteFile(filepath.Join(dir, "b.bz2"), []byte("BZh91AY&SY"), 0o644)
	for _, src := range []string{"notes.txt", "b.bz2"} {
		l := spec.Layer{Files: []spec.File{{Src: src, Dst: "/x", Extract: true}}}
		_, err := writeLayer(context.Background(), l, testEnv(t, dir))
		if !errors.Is(err, ErrBadArchive) && !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: err = %v, want ErrBadArchive or ErrUnsupported", src, err)
		}
	}
}
