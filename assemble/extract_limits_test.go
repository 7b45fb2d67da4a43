package assemble

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ybuild/ybuild/spec"
)

// rawHeader returns a ustar header block for name.
func rawHeader(name string, typ byte, size int64) []byte {
	h := make([]byte, 512)
	copy(h[0:], name)
	copy(h[100:], "0000644\x00")
	copy(h[108:], "0000000\x00")
	copy(h[116:], "0000000\x00")
	copy(h[124:], fmt.Sprintf("%011o\x00", size))
	copy(h[136:], "00000000000\x00")
	h[156] = typ
	copy(h[257:], "ustar\x0000")
	copy(h[148:], "        ")
	sum := 0
	for _, b := range h {
		sum += int(b)
	}
	copy(h[148:], fmt.Sprintf("%06o\x00 ", sum))
	return h
}

// block pads data to whole 512-byte blocks.
func block(data string) []byte {
	b := []byte(data)
	return append(b, make([]byte, (512-len(b)%512)%512)...)
}

// paxSparseArchive returns a tar archive of one PAX (GNU 1.0) sparse file
// named name that is all hole: realSize bytes when read, 2 KiB on disk.
func paxSparseArchive(name string, realSize int64) []byte {
	var recs string
	for _, kv := range []string{"GNU.sparse.major=1", "GNU.sparse.minor=0", "GNU.sparse.name=" + name,
		fmt.Sprintf("GNU.sparse.realsize=%d", realSize)} {
		n := len(kv) + 3
		for len(fmt.Sprintf("%d %s\n", n, kv)) != n {
			n++
		}
		recs += fmt.Sprintf("%d %s\n", n, kv)
	}
	sparseMap := fmt.Sprintf("1\n%d\n0\n", realSize) // one empty fragment at the end
	var out []byte
	out = append(out, rawHeader("PaxHeaders/"+name, 'x', int64(len(recs)))...)
	out = append(out, block(recs)...)
	out = append(out, rawHeader("GNUSparseFile.0/"+name, '0', 512)...)
	out = append(out, block(sparseMap)...)
	return append(out, make([]byte, 1024)...)
}

// headerOnlyArchive returns a tar archive whose one regular file claims
// size bytes but holds none: only a limit checked before reading refuses it
// with a limit error rather than a truncation.
func headerOnlyArchive(t testing.TB, size int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "huge", Typeflag: tar.TypeReg, Mode: 0o644, Size: size}); err != nil {
		t.Fatal(err)
	}
	return append(buf.Bytes(), make([]byte, 1024)...)
}

// extractErr extracts the archive data with the file entry f (src and dst
// filled in) and returns the error.
func extractErr(t *testing.T, data []byte, f spec.File) ([]tarEntry, error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.tar"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	f.Src, f.Dst, f.Extract = "a.tar", "/x/", true
	env := testEnv(t, dir)
	out, err := writeLayer(context.Background(), spec.Layer{Files: []spec.File{f}}, env)
	assertNoTemp(t, env.BlobDir)
	if err != nil {
		return nil, err
	}
	return readLayer(t, out), nil
}

// wantLimit fails unless err is an ErrLimit (and so ErrUnsupported: exit
// 2) naming the archive and the spec field to raise.
func wantLimit(t *testing.T, err error, field string) {
	t.Helper()
	if !errors.Is(err, ErrLimit) || !errors.Is(err, ErrUnsupported) {
		t.Fatalf("err = %v, want ErrLimit", err)
	}
	for _, w := range []string{"extract a.tar", field} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("err %q does not contain %q", err, w)
		}
	}
}

func TestExtractDefaultSizeLimitBeforeSpooling(t *testing.T) {
	if s, n := (spec.File{}).ExtractMax(); s != 4<<30 || n != 1000000 {
		t.Fatalf("defaults %d bytes, %d entries", s, n)
	}
	_, err := extractErr(t, headerOnlyArchive(t, 4<<30+1), spec.File{})
	wantLimit(t, err, "limits.maxSize")
}

func TestExtractSizeLimitCountsSparseFiles(t *testing.T) {
	f := spec.File{Limits: &spec.ExtractLimits{MaxSize: "1MiB"}}
	_, err := extractErr(t, paxSparseArchive("holes", 1<<20+1), f)
	wantLimit(t, err, "limits.maxSize")
	if !strings.Contains(err.Error(), "1MiB") {
		t.Errorf("err %q does not name the limit", err)
	}
	// Exactly at the limit is fine, and the hole reads as zeros.
	es, err := extractErr(t, paxSparseArchive("holes", 1<<20), f)
	if err != nil {
		t.Fatal(err)
	}
	if e := find(t, es, "x/holes"); len(e.body) != 1<<20 || strings.Trim(e.body, "\x00") != "" {
		t.Errorf("sparse file: %d bytes", len(e.body))
	}
}

func TestExtractEntryLimit(t *testing.T) {
	var es []arEntry
	for i := range 11 {
		es = append(es, arEntry{fmt.Sprintf("d%02d/", i), tar.TypeDir, 0o755, ""})
	}
	dir := t.TempDir()
	makeArchive(t, dir, "a.tar", "gzip", es)
	data, _ := os.ReadFile(filepath.Join(dir, "a.tar"))
	_, err := extractErr(t, data, spec.File{Limits: &spec.ExtractLimits{MaxEntries: "10"}})
	wantLimit(t, err, "limits.maxEntries")
	if _, err := extractErr(t, data, spec.File{Limits: &spec.ExtractLimits{MaxEntries: "11"}}); err != nil {
		t.Fatalf("11 entries with maxEntries 11: %v", err)
	}
}

func TestExtractRefusesDevices(t *testing.T) {
	for _, typ := range []byte{tar.TypeChar, tar.TypeBlock, tar.TypeFifo} {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		tw.WriteHeader(&tar.Header{Name: "dev/thing", Typeflag: typ, Mode: 0o600, Devmajor: 1, Devminor: 3})
		tw.Close()
		_, err := extractErr(t, buf.Bytes(), spec.File{})
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "allowDevices") || !strings.Contains(err.Error(), "extract a.tar") {
			t.Errorf("typeflag %c: err = %v, want ErrUnsupported naming allowDevices", typ, err)
		}
		es, err := extractErr(t, buf.Bytes(), spec.File{AllowDevices: true})
		if err != nil {
			t.Fatalf("typeflag %c with allowDevices: %v", typ, err)
		}
		if h := find(t, es, "x/dev/thing").h; h.Typeflag != typ || h.Mode != 0o600 || (typ != tar.TypeFifo && (h.Devmajor != 1 || h.Devminor != 3)) {
			t.Errorf("typeflag %c: header %+v", typ, h)
		}
	}
}

func TestExtractPathLimits(t *testing.T) {
	deep := strings.Repeat("d/", maxDepth) + "f"
	long := strings.Repeat("n", maxNameLen+1)
	for name, n := range map[string]string{"deep": deep, "long": long} {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o644, Format: tar.FormatPAX})
		tw.Close()
		_, err := extractErr(t, buf.Bytes(), spec.File{})
		if !errors.Is(err, ErrInvalidPath) || !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "extract a.tar") {
			t.Errorf("%s: err = %v, want ErrInvalidPath and ErrLimit", name, err)
		}
	}
	// Below the limit (with dst /x) works.
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: strings.Repeat("d/", maxDepth-2) + "f", Typeflag: tar.TypeReg, Mode: 0o644, Format: tar.FormatPAX})
	tw.Close()
	if es, err := extractErr(t, buf.Bytes(), spec.File{}); err != nil || len(es) != 1 {
		t.Fatalf("depth %d: %v, %d entries", maxDepth-1, err, len(es))
	}
}

func TestFinishHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	es := []entry{{name: strings.Repeat("a/", 100) + "f", kind: tar.TypeReg, prio: prioExplicit}}
	if _, err := finish(ctx, es, true, ancestors(nil, meta{mode: 0o755})); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
