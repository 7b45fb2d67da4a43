package testbase

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// OCILayoutFile is the exact content of an OCI layout's oci-layout file.
const OCILayoutFile = `{"imageLayoutVersion":"1.0.0"}`

// Layout writes the base as an OCI image layout in dir (created if needed):
// index.json holds one entry, ref name "latest", pointing at an image index
// with linux/amd64, linux/arm64/v8 and an attestation manifest.
func Layout(t testing.TB, dir string) Info {
	t.Helper()
	info, st := buildIndex(t, ociFlavor)
	writeDir(t, dir, layoutFiles(t, info, st))
	return info
}

// DockerSchema2Layout writes the base as an OCI image layout whose index.json
// entry is a Docker manifest list of Docker schema2 manifests (no attestation).
func DockerSchema2Layout(t testing.TB, dir string) Info {
	t.Helper()
	info, st := buildIndex(t, dockerFlavor)
	writeDir(t, dir, layoutFiles(t, info, st))
	return info
}

// OCIArchive writes the layout of Layout as a tar file at path.
func OCIArchive(t testing.TB, path string) Info {
	t.Helper()
	info, st := buildIndex(t, ociFlavor)
	writeTar(t, path, layoutFiles(t, info, st))
	return info
}

// layoutFiles returns the files of an OCI layout: oci-layout, index.json and blobs.
func layoutFiles(t testing.TB, info Info, st *blobs) map[string][]byte {
	t.Helper()
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{info.Index}}
	idx.SchemaVersion = 2
	files := map[string][]byte{
		"oci-layout": []byte(OCILayoutFile),
		"index.json": mustJSON(t, idx),
	}
	for _, d := range st.order {
		files[path.Join("blobs", d.Algorithm().String(), d.Encoded())] = st.data[d]
	}
	return files
}

// dockerEntry is one entry of a docker-save manifest.json.
type dockerEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// DockerArchive writes the linux/amd64 image as a legacy `docker save`
// archive: manifest.json, repositories, <config hex>.json and uncompressed
// <id>/layer.tar files, tagged busybox:latest.
func DockerArchive(t testing.TB, path string) Info {
	t.Helper()
	info, _ := dockerArchive(t, path, 1)
	return info
}

// DockerArchiveMulti writes a legacy docker archive with two manifest.json
// entries sharing the layers: busybox:latest (linux/amd64) and busybox:arm64
// (linux/arm64/v8). Info.Images follows the manifest.json order.
func DockerArchiveMulti(t testing.TB, path string) Info {
	t.Helper()
	info, _ := dockerArchive(t, path, 2)
	return info
}

// dockerArchive writes n images (amd64, then arm64) into one legacy archive.
func dockerArchive(t testing.TB, path string, n int) (Info, map[string][]byte) {
	t.Helper()
	ls := baseLayers(t)
	files := map[string][]byte{}
	var names []string
	var layers []ocispec.Descriptor
	for _, l := range ls {
		id := l.diffID.Encoded()
		files[id+"/VERSION"] = []byte("1.0")
		files[id+"/layer.tar"] = l.tar
		names = append(names, id+"/layer.tar")
		layers = append(layers, ocispec.Descriptor{MediaType: MediaTypeDockerLayer, Digest: l.diffID, Size: int64(len(l.tar))})
	}
	diffIDs := []digest.Digest{ls[0].diffID, ls[1].diffID}
	info := Info{Name: Name}
	var manifest []dockerEntry
	for i, p := range Platforms[:n] {
		st := &blobs{}
		im := Image{Platform: p, ConfigJSON: configJSON(t, p, diffIDs), Layers: layers, DiffIDs: diffIDs}
		im.Config = st.add(MediaTypeDockerConfig, im.ConfigJSON)
		files[im.Config.Digest.Encoded()+".json"] = im.ConfigJSON
		tag := []string{"busybox:latest", "busybox:arm64"}[i]
		manifest = append(manifest, dockerEntry{Config: im.Config.Digest.Encoded() + ".json", RepoTags: []string{tag}, Layers: names})
		info.Images = append(info.Images, im)
	}
	files["manifest.json"] = mustJSON(t, manifest)
	files["repositories"] = mustJSON(t, map[string]map[string]string{"busybox": {"latest": ls[1].diffID.Encoded()}})
	writeTar(t, path, files)
	return info, files
}

// writeDir writes files under dir.
func writeDir(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatalf("testbase: %v", err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatalf("testbase: %v", err)
		}
	}
}

// writeTar writes files as a tar at path, sorted, with parent directories.
func writeTar(t testing.TB, file string, files map[string][]byte) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range tarNames(files) {
		h := &tar.Header{Name: name, Mode: 0o644, ModTime: Mtime, Typeflag: tar.TypeReg, Size: int64(len(files[name]))}
		if strings.HasSuffix(name, "/") {
			h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("testbase: %v", err)
		}
		if _, err := tw.Write(files[name]); err != nil {
			t.Fatalf("testbase: %v", err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatalf("testbase: %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatalf("testbase: %v", err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatalf("testbase: %v", err)
	}
}

// tarNames returns the file names plus their parent directories (with a
// trailing slash), sorted.
func tarNames(files map[string][]byte) []string {
	seen := map[string]bool{}
	var names []string
	for name := range files {
		names = append(names, name)
		for d := path.Dir(name); d != "."; d = path.Dir(d) {
			if !seen[d] {
				seen[d] = true
				names = append(names, d+"/")
			}
		}
	}
	sort.Strings(names)
	return names
}

// ReadIndex reads dir/index.json; tests use it with WriteIndex to craft
// variants of a layout (several refs, entries without a platform…).
func ReadIndex(t testing.TB, dir string) ocispec.Index {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatalf("testbase: %v", err)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		t.Fatalf("testbase: %v", err)
	}
	return idx
}

// WriteIndex replaces dir/index.json with idx.
func WriteIndex(t testing.TB, dir string, idx ocispec.Index) {
	t.Helper()
	writeDir(t, dir, map[string][]byte{"index.json": mustJSON(t, idx)})
}

// WriteBlob adds data to the layout in dir and returns its descriptor.
func WriteBlob(t testing.TB, dir, mediaType string, data []byte) ocispec.Descriptor {
	t.Helper()
	st := &blobs{}
	d := st.add(mediaType, data)
	writeDir(t, dir, map[string][]byte{path.Join("blobs", "sha256", d.Digest.Encoded()): data})
	return d
}

// JSON marshals v as testbase writes JSON: no HTML escaping, no trailing newline.
func JSON(t testing.TB, v any) []byte {
	t.Helper()
	return mustJSON(t, v)
}

// Versioned is schemaVersion 2, for building indexes in tests.
var Versioned = specs.Versioned{SchemaVersion: 2}
