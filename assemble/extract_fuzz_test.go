package assemble

import (
	"archive/tar"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ybuild/ybuild/spec"
)

// FuzzExtract extracts arbitrary bytes as an archive (its seed corpus is
// testdata/fuzz/FuzzExtract plus the archives of the extract tests). It
// must never panic or hang; every refusal must carry one of the layer
// sentinels (exit 2) or be a cancellation; every layer it writes must hold
// only relative names below the dst, without "..".
func FuzzExtract(f *testing.F) {
	dir := f.TempDir()
	makeArchive(f, dir, "good.tar.gz", "gzip", goodArchive)
	makeArchive(f, dir, "good.tar.xz", "xz", goodArchive)
	for _, n := range []string{"good.tar.gz", "good.tar.xz"} {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(paxSparseArchive("holes", 1<<20+1))
	f.Add(headerOnlyArchive(f, 1<<40))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "a.tar"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		env := testEnv(t, dir)
		env.compression, env.scratch = spec.CompressionNone, true
		l := spec.Layer{Files: []spec.File{{Src: "a.tar", Dst: "/x/", Extract: true, Mode: "0640",
			Limits: &spec.ExtractLimits{MaxSize: "1MiB", MaxEntries: "2000"}}}}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := writeLayer(ctx, l, env)
		if err != nil {
			checkFuzzErr(t, err)
			return
		}
		for _, e := range readLayer(t, out) {
			checkFuzzName(t, e.h)
		}
	})
}

// checkFuzzErr fails unless err is a sentinel of layer writing.
func checkFuzzErr(t *testing.T, err error) {
	t.Helper()
	for _, s := range []error{ErrEscape, ErrInvalidPath, ErrDuplicate, ErrNotDir, ErrUnsupported, ErrBadArchive,
		context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error without a sentinel: %v", err)
}

// checkFuzzName fails for a layer entry outside x/ or with "..".
func checkFuzzName(t *testing.T, h *tar.Header) {
	t.Helper()
	n := strings.TrimSuffix(h.Name, "/")
	if n != "x" && !strings.HasPrefix(n, "x/") {
		t.Fatalf("entry %q outside /x", h.Name)
	}
	for _, c := range strings.Split(n, "/") {
		if c == ".." || c == "" || c == "." {
			t.Fatalf("entry %q has component %q", h.Name, c)
		}
	}
	if h.Typeflag == tar.TypeLink && !strings.HasPrefix(h.Linkname, "x/") {
		t.Fatalf("hardlink %q to %q outside /x", h.Name, h.Linkname)
	}
}
