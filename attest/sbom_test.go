package attest

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdxlib"
)

// testLayer returns an uncompressed layer tar with a text file, a whiteout,
// a directory, a symlink and the test binary (a Go program with modules).
func testLayer(t *testing.T) (layer, exe []byte) {
	t.Helper()
	path, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if exe, err = os.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(h *tar.Header, data []byte) {
		h.Size = int64(len(data))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	add(&tar.Header{Typeflag: tar.TypeDir, Name: "app/", Mode: 0o755}, nil)
	add(&tar.Header{Typeflag: tar.TypeReg, Name: "app/.wh.old", Mode: 0o644}, nil)
	add(&tar.Header{Typeflag: tar.TypeReg, Name: "app/hello.txt", Mode: 0o644}, []byte("hello\n"))
	add(&tar.Header{Typeflag: tar.TypeReg, Name: "app/prog", Mode: 0o755}, exe)
	add(&tar.Header{Typeflag: tar.TypeSymlink, Name: "app/link", Linkname: "hello.txt"}, nil)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), exe
}

// testSBOM scans the test layer gzip-compressed and returns its SBOM.
func testSBOM(t *testing.T, manifest digest.Digest) ([]byte, []byte, digest.Digest) {
	t.Helper()
	layer, exe := testLayer(t)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(layer)
	zw.Close()
	files, diffID, err := ScanBlob(context.Background(), bytes.NewReader(gz.Bytes()), ocispec.MediaTypeImageLayerGzip, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if diffID != digest.FromBytes(layer) {
		t.Errorf("diff ID %s, want %s", diffID, digest.FromBytes(layer))
	}
	data, err := SBOM(SBOMInput{
		Name: "example.com/app", Manifest: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: manifest, Size: 1},
		Created: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), Tool: "ybuild-test",
		Base:   Base{Ref: "docker.io/library/busybox:1.36", Digest: digest.FromString("base")},
		Layers: []Layer{{Desc: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: digest.FromBytes(gz.Bytes())}, DiffID: diffID, Files: files}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return data, exe, diffID
}

// TestSBOM: the SPDX project's library reads and validates the document;
// it lists the two regular files with their SHA-256 (not the whiteout,
// directory or symlink) and the test binary's Go modules as purls.
func TestSBOM(t *testing.T) {
	m := digest.FromString("manifest")
	data, exe, _ := testSBOM(t, m)
	doc, err := spdxjson.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("tools-golang read: %v", err)
	}
	if err := spdxlib.ValidateDocument(doc); err != nil {
		t.Errorf("tools-golang validate: %v", err)
	}
	if doc.DocumentNamespace != "https://ybuild.dev/spdx/"+m.Encoded() || doc.CreationInfo.Created != "2024-01-02T03:04:05Z" {
		t.Errorf("namespace %q, created %q", doc.DocumentNamespace, doc.CreationInfo.Created)
	}
	sums := map[string]string{}
	for _, f := range doc.Files {
		for _, c := range f.Checksums {
			if c.Algorithm == "SHA256" {
				sums[f.FileName] = c.Value
			}
		}
	}
	exeSum := sha256.Sum256(exe)
	txtSum := sha256.Sum256([]byte("hello\n"))
	want := map[string]string{"./app/hello.txt": hex.EncodeToString(txtSum[:]), "./app/prog": hex.EncodeToString(exeSum[:])}
	if len(sums) != len(want) || sums["./app/hello.txt"] != want["./app/hello.txt"] || sums["./app/prog"] != want["./app/prog"] {
		t.Errorf("files %v, want %v", sums, want)
	}
	bi, err := buildinfo.Read(bytes.NewReader(exe))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range bi.Deps {
		purl := "pkg:golang/" + d.Path + "@" + d.Version
		if !strings.Contains(string(data), `"referenceLocator":"`+purl+`"`) {
			t.Errorf("no purl %s", purl)
		}
	}
	// Test binaries record no dependencies (the e2e test checks a real
	// binary against go version -m); the toolchain is always there.
	if std := "pkg:golang/stdlib@" + strings.TrimPrefix(bi.GoVersion, "go"); !strings.Contains(string(data), `"referenceLocator":"`+std+`"`) {
		t.Errorf("no purl %s", std)
	}
}

// TestSBOMDeterministic: the same inputs give the same bytes; another
// manifest gives another namespace.
func TestSBOMDeterministic(t *testing.T) {
	a, _, _ := testSBOM(t, digest.FromString("m"))
	b, _, _ := testSBOM(t, digest.FromString("m"))
	c, _, _ := testSBOM(t, digest.FromString("other"))
	if !bytes.Equal(a, b) {
		t.Error("two SBOMs of the same inputs differ")
	}
	if bytes.Equal(a, c) {
		t.Error("SBOMs of different manifests are equal")
	}
}
