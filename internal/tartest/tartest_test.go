package tartest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"testing"
)

// TestReadGzip writes a small gzipped tar and reads it back.
func TestReadGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range []struct {
		name string
		typ  byte
		data string
	}{{"d/", tar.TypeDir, ""}, {"d/f", tar.TypeReg, "hello"}} {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.data))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	es := ReadGzip(t, buf.Bytes(), "test")
	if len(es) != 2 || Headers(es)[0].Name != "d/" {
		t.Fatalf("entries %+v", es)
	}
	if got := Files(es); len(got) != 1 || string(got["d/f"]) != "hello" {
		t.Errorf("Files = %q", got)
	}
	if got := File(t, es, "d/f"); string(got) != "hello" {
		t.Errorf("File = %q", got)
	}
}
