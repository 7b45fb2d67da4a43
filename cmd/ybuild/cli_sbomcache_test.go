package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/ybuild/ybuild/attest"
)

// cliSBOMCacheSpec has a layer of files from disk (an executable ELF
// header that is no Go binary, an empty file, a hardlink) and one of
// inline content.
const cliSBOMCacheSpec = `apiVersion: ybuild/v1
name: sbomcache
base: scratch
created: 2024-01-01T00:00:00Z
layers:
  - name: app
    files:
      - {src: app/, dst: /app/}
  - name: note
    files:
      - {content: "a note\n", dst: /etc/note, mode: "0755"}
`

// cliSBOMCacheDir writes the spec and its tree.
func cliSBOMCacheDir(t *testing.T) string {
	t.Helper()
	spec := cliSpecDir(t, map[string]string{
		"build.yaml": cliSBOMCacheSpec, "app/a.txt": "alpha\n", "app/empty": "", "app/sub/b.txt": "beta\n",
	})
	dir := filepath.Dir(spec)
	if err := os.WriteFile(filepath.Join(dir, "app/run"), []byte("\x7fELF not really"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(dir, "app/a.txt"), filepath.Join(dir, "app/sub/a-link")); err != nil {
		t.Fatal(err)
	}
	return spec
}

// TestCLISBOMCache: the file lists recorded while the layers are written
// are saved by layer digest (scans/sha256-<hex>.json) and the SBOM by its
// input (scans/sbom-<key>.json and its blob); a rebuild reads the SBOM
// back; without it, the saved lists; without those, the layer blobs. Every
// way gives the bytes of a build without a cache. Saved lists and
// documents of another version, or a document whose blob does not match
// its record, are not used; `ybuild cache prune --all` removes them.
func TestCLISBOMCache(t *testing.T) {
	spec := cliSBOMCacheDir(t)
	cacheDir := t.TempDir()
	scans := filepath.Join(cacheDir, "scans")
	build := func(flags ...string) []byte {
		t.Helper()
		layout := filepath.Join(t.TempDir(), "layout")
		top := cliOneResult(t, e2eBuild(t, append([]string{"-f", spec, "-o", "oci:" + layout}, flags...)...), "oci:"+layout)
		sbom, _ := e2eReferrer(t, layout, top, attest.MediaTypeSPDX)
		return sbom
	}
	glob := func(pattern string) []string {
		t.Helper()
		m, err := filepath.Glob(filepath.Join(scans, pattern))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	remove := func(paths []string) {
		t.Helper()
		for _, p := range paths {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}
	}
	fresh := build("--no-cache")
	for _, want := range []string{"/app/a.txt", "/app/empty", "/app/run", "/app/sub/b.txt", "/etc/note"} {
		if !bytes.Contains(fresh, []byte(`"fileName":".`+want+`"`)) {
			t.Errorf("the SBOM does not list %s", want)
		}
	}
	if got := build("--cache-dir", cacheDir); !bytes.Equal(got, fresh) {
		t.Fatal("the SBOM differs with a cache directory")
	}
	lists, docs := glob("sha256-*.json"), glob("sbom-*.json")
	if len(lists) != 2 || len(docs) != 1 {
		t.Fatalf("saved lists %v and documents %v, want one list per layer and one document", lists, docs)
	}

	// The document is read back: one with another blob shows.
	var rec sbomRecord
	e2eJSON(t, "sbom record", e2eReadFileAbs(t, docs[0]), &rec)
	marked := append(bytes.Clone(fresh[:len(fresh)-1]), []byte(`,"comment":"read back"}`)...)
	writeBlob := func(data []byte) digest.Digest {
		t.Helper()
		d := digest.FromBytes(data)
		p := filepath.Join(cacheDir, "blobs", "sha256", d.Encoded())
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return d
	}
	rec.SBOM.Digest, rec.SBOM.Size = writeBlob(marked), int64(len(marked))
	data, _ := json.Marshal(rec)
	if err := os.WriteFile(docs[0], data, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := build("--cache-dir", cacheDir); !bytes.Equal(got, marked) {
		t.Error("the saved SBOM was not read back")
	}
	// A blob that does not match its record, or a record of another
	// version, is not used.
	if err := os.WriteFile(filepath.Join(cacheDir, "blobs", "sha256", rec.SBOM.Digest.Encoded()), fresh, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := build("--cache-dir", cacheDir); !bytes.Equal(got, fresh) {
		t.Error("an SBOM blob that does not match its record was used")
	}
	rec.SBOM.Digest, rec.SBOM.Size, rec.Version = writeBlob(marked), int64(len(marked)), sbomCacheVersion+1
	data, _ = json.Marshal(rec)
	if err := os.WriteFile(glob("sbom-*.json")[0], data, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := build("--cache-dir", cacheDir); !bytes.Equal(got, fresh) {
		t.Error("an SBOM record of another version was used")
	}

	// Without the document, the saved lists are read back: a changed one
	// shows; one of another version does not.
	const fake = "0000000000000000000000000000000000000000000000000000000000000000"
	lists = glob("sha256-*.json")
	saved := map[string][]byte{}
	for _, p := range lists {
		saved[p] = e2eReadFileAbs(t, p)
	}
	for _, tc := range []struct {
		version int
		reused  bool
	}{{attest.ScanVersion, true}, {attest.ScanVersion + 1, false}} {
		remove(glob("sbom-*.json"))
		for _, p := range lists {
			var r scanRecord
			e2eJSON(t, "scan record", saved[p], &r)
			r.Files[0].SHA256, r.Version = fake, tc.version
			data, _ := json.Marshal(r)
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if got := bytes.Contains(build("--cache-dir", cacheDir), []byte(fake)); got != tc.reused {
			t.Errorf("saved list version %d: reused %v, want %v", tc.version, got, tc.reused)
		}
	}
	// Without lists or document, the cached layers are read back.
	remove(glob("*"))
	if got := build("--cache-dir", cacheDir); !bytes.Equal(got, fresh) {
		t.Error("the SBOM from the layers read back differs")
	}
	if n := len(glob("*")); n != 3 {
		t.Errorf("%d files saved after reading the layers back, want 3", n)
	}

	if res := cliRun("cache", "prune", "--all", "--cache-dir", cacheDir); res.code != exitOK {
		t.Fatalf("cache prune: exit %d: %s", res.code, res.stderr)
	}
	if left := glob("*"); len(left) != 0 {
		t.Errorf("cache prune --all left %v", left)
	}
}
