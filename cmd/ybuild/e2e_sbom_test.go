package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdxlib"

	"github.com/ybuild/ybuild/attest"
	"github.com/ybuild/ybuild/internal/e2e"
	"github.com/ybuild/ybuild/internal/testbase"
)

// e2eSBOMSpec adds a text file, a directory tree and a Go binary to busybox.
const e2eSBOMSpec = `apiVersion: ybuild/v1
name: e2e-sbom
base: oci:base:latest
created: 2024-01-02T03:04:05Z
layers:
  - name: app
    files:
      - {src: gen, dst: /usr/local/bin/gen}
      - {src: site/, dst: /srv/site/}
  - name: note
    files:
      - {content: "a note\n", dst: /etc/note.txt, mode: "0600"}
`

// e2eSBOMDir writes the spec, a small tree, the busybox base and a Go
// binary built from this module (schema/gen, which has dependencies).
func e2eSBOMDir(t *testing.T) string {
	t.Helper()
	goTool := e2e.Require(t, "go")
	dir := t.TempDir()
	testbase.Layout(t, filepath.Join(dir, "base"))
	e2eWriteFiles(t, dir, map[string]string{
		"build.yaml": e2eSBOMSpec, "site/index.html": "<h1>hi</h1>\n", "site/css/a.css": "h1{}\n",
	})
	e2e.Run(t, goTool, "build", "-trimpath", "-o", filepath.Join(dir, "gen"), "github.com/ybuild/ybuild/schema/gen")
	return filepath.Join(dir, "build.yaml")
}

// e2eReferrer returns the document of the layout's referrer of subject with
// artifactType, and the referrer manifest's digest.
func e2eReferrer(t *testing.T, layout string, subject digest.Digest, artifactType string) ([]byte, digest.Digest) {
	t.Helper()
	var idx ocispec.Index
	e2eJSON(t, "index.json", e2eReadFileAbs(t, filepath.Join(layout, "index.json")), &idx)
	for _, e := range idx.Manifests {
		if e.ArtifactType != artifactType {
			continue
		}
		m := e2eManifest(t, layout, e.Digest)
		if m.Subject != nil && m.Subject.Digest == subject && len(m.Layers) == 1 {
			return e2eBlob(t, layout, m.Layers[0].Digest), e.Digest
		}
	}
	t.Fatalf("%s: no %s referrer of %s", layout, artifactType, subject)
	return nil, ""
}

// e2eReadFileAbs reads a file or fails the test.
func e2eReadFileAbs(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestE2ESBOMContents: the SBOM passes the SPDX project's own validation,
// lists every file ybuild added with the SHA-256 of the file in the
// unpacked image, and the Go modules `go version -m` reports; a second
// build gives byte-identical SBOM and provenance.
func TestE2ESBOMContents(t *testing.T) {
	specPath := e2eSBOMDir(t)
	layout := filepath.Join(t.TempDir(), "layout")
	top := e2eResults(t, e2eBuild(t, "-f", specPath, "--platform", "linux/amd64", "--no-cache", "-o", "oci:"+layout+":v1"))["oci:"+layout+":v1"]
	sbom, sbomRef := e2eReferrer(t, layout, top, attest.MediaTypeSPDX)
	prov, provRef := e2eReferrer(t, layout, top, attest.MediaTypeInToto)

	doc, err := spdxjson.Read(bytes.NewReader(sbom))
	if err != nil {
		t.Fatalf("tools-golang cannot read the SBOM: %v", err)
	}
	if err := spdxlib.ValidateDocument(doc); err != nil {
		t.Errorf("tools-golang ValidateDocument: %v", err)
	}
	if doc.SPDXVersion != "SPDX-2.3" {
		t.Errorf("spdxVersion %q", doc.SPDXVersion)
	}
	rootfs := filepath.Join(e2eUnpack(t, layout, "v1"), "rootfs")
	e2eCheckSBOMFiles(t, doc, rootfs, []string{"/usr/local/bin/gen", "/srv/site/index.html", "/srv/site/css/a.css", "/etc/note.txt"})
	e2eCheckGoModules(t, doc, filepath.Join(rootfs, "usr/local/bin/gen"))

	again := filepath.Join(t.TempDir(), "again")
	e2eBuild(t, "-f", specPath, "--platform", "linux/amd64", "--no-cache", "-o", "oci:"+again+":v1")
	sbom2, sbomRef2 := e2eReferrer(t, again, top, attest.MediaTypeSPDX)
	prov2, provRef2 := e2eReferrer(t, again, top, attest.MediaTypeInToto)
	if !bytes.Equal(sbom, sbom2) || sbomRef != sbomRef2 {
		t.Errorf("two builds gave different SBOMs (%s, %s)", sbomRef, sbomRef2)
	}
	if !bytes.Equal(prov, prov2) || provRef != provRef2 {
		t.Errorf("two builds gave different provenance:\n%s\n%s", prov, prov2)
	}

	// The files recorded while writing the layers (above) and those read
	// back from the layer blobs (layers from the layer cache without saved
	// lists) give the same SBOM.
	cacheDir := t.TempDir()
	for i := range 2 {
		if err := os.RemoveAll(filepath.Join(cacheDir, "scans")); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "cached")
		e2eBuild(t, "-f", specPath, "--platform", "linux/amd64", "--cache-dir", cacheDir, "-o", "oci:"+out+":v1")
		if got, _ := e2eReferrer(t, out, top, attest.MediaTypeSPDX); !bytes.Equal(got, sbom) {
			t.Errorf("build %d with a cache directory (%s) gives another SBOM", i+1, []string{"recorded", "layers read back"}[i])
		}
	}
}

// e2eCheckSBOMFiles checks that the SBOM lists exactly want, each with the
// SHA-256 of the file unpacked from the image.
func e2eCheckSBOMFiles(t *testing.T, doc *spdx.Document, rootfs string, want []string) {
	t.Helper()
	listed := map[string]string{}
	for _, f := range doc.Files {
		for _, c := range f.Checksums {
			if c.Algorithm == "SHA256" {
				listed[strings.TrimPrefix(f.FileName, ".")] = c.Value
			}
		}
	}
	if len(listed) != len(want) {
		t.Errorf("SBOM lists %d files %v, want %d: %v", len(listed), listed, len(want), want)
	}
	for _, p := range want {
		sum := sha256.Sum256(e2eReadFileAbs(t, filepath.Join(rootfs, p)))
		if got := listed[p]; got != hex.EncodeToString(sum[:]) {
			t.Errorf("SBOM SHA-256 of %s is %q, the unpacked file's is %x", p, got, sum)
		}
	}
}

// e2eCheckGoModules checks that every module `go version -m` prints for
// bin is an SBOM package with its version and purl.
func e2eCheckGoModules(t *testing.T, doc *spdx.Document, bin string) {
	t.Helper()
	purls := map[string]bool{}
	for _, p := range doc.Packages {
		for _, r := range p.PackageExternalReferences {
			if r.RefType == "purl" {
				purls[r.Locator] = true
			}
		}
	}
	out := e2e.Run(t, e2e.Require(t, "go"), "version", "-m", bin)
	deps := 0
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || f[0] != "dep" {
			continue
		}
		deps++
		if purl := "pkg:golang/" + f[1] + "@" + f[2]; !purls[purl] {
			t.Errorf("go version -m lists %s %s; the SBOM has no %s", f[1], f[2], purl)
		}
	}
	if deps == 0 {
		t.Fatalf("go version -m %s lists no dependencies:\n%s", bin, out)
	}
}
