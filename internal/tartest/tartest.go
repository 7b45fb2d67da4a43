// Package tartest reads tar streams in tests: every entry with its content,
// failing the test on a malformed archive. It is the one copy of the loop
// the test packages of assemble, output, cmd/ybuild and internal/testbase
// used to repeat.
package tartest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"testing"
)

// Entry is one entry of a tar stream.
type Entry struct {
	// Header is the entry's header.
	Header *tar.Header
	// Data is the entry's content (empty for non-regular entries).
	Data []byte
}

// Read returns every entry of the tar stream r, in order; what names the
// stream in failures.
func Read(t testing.TB, r io.Reader, what string) []Entry {
	t.Helper()
	tr := tar.NewReader(r)
	var out []Entry
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("%s: %s: %v", what, h.Name, err)
		}
		out = append(out, Entry{Header: h, Data: data})
	}
}

// ReadFile returns every entry of the tar file at path, in order.
func ReadFile(t testing.TB, path string) []Entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return Read(t, f, path)
}

// ReadGzip returns every entry of a gzipped tar held in memory, such as a
// layer blob.
func ReadGzip(t testing.TB, blob []byte, what string) []Entry {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(blob))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return Read(t, zr, what)
}

// Headers returns the headers of entries, in order.
func Headers(entries []Entry) []*tar.Header {
	out := make([]*tar.Header, len(entries))
	for i, e := range entries {
		out[i] = e.Header
	}
	return out
}

// Files returns the content of the regular files among entries, by name.
func Files(entries []Entry) map[string][]byte {
	out := map[string][]byte{}
	for _, e := range entries {
		if e.Header.Typeflag == tar.TypeReg {
			out[e.Header.Name] = e.Data
		}
	}
	return out
}

// File returns the content of the entry name, failing the test when there
// is none.
func File(t testing.TB, entries []Entry, name string) []byte {
	t.Helper()
	for _, e := range entries {
		if e.Header.Name == name {
			return e.Data
		}
	}
	t.Fatalf("archive has no entry %s", name)
	return nil
}
