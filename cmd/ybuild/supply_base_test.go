package main

import (
	"context"
	"crypto/sha1" //nolint:gosec // SPDX external document references are checked by SHA-1
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestTopLevelString reads only the top-level key, skipping nested objects
// and arrays that hold the same key, and fails on a non-object.
func TestTopLevelString(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
		wantErr         bool
	}{
		{"first", `{"documentNamespace":"https://a","packages":[]}`, "https://a", false},
		{"after nested", `{"packages":[{"documentNamespace":"no"},[1,{"x":{}}]],"n":null,"documentNamespace":"https://b"}`, "https://b", false},
		{"only nested", `{"x":{"documentNamespace":"no"}}`, "", false},
		{"not a string", `{"documentNamespace":7}`, "", false},
		{"array", `["documentNamespace"]`, "", true},
		{"truncated", `{"packages":[{"a":`, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := topLevelString(json.NewDecoder(strings.NewReader(tc.doc)), "documentNamespace")
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("got %q, %v; want %q, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

// fileBlob is a BlobSource serving one file for any descriptor.
type fileBlob string

// Open opens the file.
func (f fileBlob) Open(context.Context, ocispec.Descriptor) (io.ReadCloser, error) {
	return os.Open(string(f))
}

// TestReadNamespaceBounded: a base's SBOM is hostile. A 24 MiB string
// before documentNamespace cost its size in memory (the JSON decoder holds
// a whole token) and now ends the search, which covers only the first
// 1 MiB; a 24 MiB string after the key is hashed, not held; deep nesting
// is refused; a document claiming more than 256 MiB is not read.
func TestReadNamespaceBounded(t *testing.T) {
	big := strings.Repeat("a", 24<<20)
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"huge string first", `{"comment":"` + big + `","documentNamespace":"https://ns"}`, ""},
		{"huge string after", `{"documentNamespace":"https://ns","comment":"` + big + `"}`, "https://ns"},
		{"deep", `{"x":` + strings.Repeat("[", 1<<20) + `1` + strings.Repeat("]", 1<<20) + `,"documentNamespace":"https://ns"}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "sbom.json")
			cliMust(t, os.WriteFile(p, []byte(tc.doc), 0o644))
			desc := ocispec.Descriptor{Digest: digest.FromString(tc.doc), Size: int64(len(tc.doc))}
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			ns, sum, err := readNamespace(context.Background(), fileBlob(p), desc)
			runtime.ReadMemStats(&after)
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 12<<20 {
				t.Errorf("reading the SBOM allocated %d MiB", alloc>>20)
			}
			if ns != tc.want || (tc.want == "") != (err != nil) {
				t.Errorf("namespace %q, %v; want %q", ns, err, tc.want)
			}
			if want := sha1.Sum([]byte(tc.doc)); err == nil && sum != hex.EncodeToString(want[:]) {
				t.Errorf("SHA-1 %s, want %x", sum, want)
			}
		})
	}
	_, _, err := readNamespace(context.Background(), fileBlob("/nonexistent"), ocispec.Descriptor{Size: 1 << 40})
	if err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("a 1 TiB SBOM: %v, want refused by size before it is opened", err)
	}
}
