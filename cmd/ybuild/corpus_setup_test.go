package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/testbase"
)

// corpusSetup runs one setup step of a corpus case in root. Steps:
//
//	layout DIR            the two-platform test base as an OCI layout; sets
//	                      $INDEX, $AMD64_MANIFEST, $AMD64_CONFIG, $LAYER0, $LAYER1 (hex)
//	single DIR            a layout whose index.json names the linux/amd64 manifest
//	oci-archive FILE      the test base as an OCI archive
//	docker-archive FILE   the test base as a legacy docker save archive
//	edit DIR OP [N]       rewrite a single layout's config and manifest (see editSingle)
//	docker-edit FILE OP [N] rewrite a docker archive's config and manifest.json (see editDockerArchive)
//	fifo PATH             replace PATH with a FIFO
//	symlink PATH TARGET   replace PATH with a symlink
//	sparse PATH SIZE      replace PATH with a sparse file of SIZE bytes
//	tar FILE NAME         a tar holding one file named NAME
//	gzip-corrupt FILE     gzip magic followed by garbage
//	remove PATH           remove PATH
//	write PATH TEXT…      replace PATH with the text (words joined by spaces)
func corpusSetup(t *testing.T, root string, step []string, vars map[string]string) {
	t.Helper()
	if len(step) < 2 {
		t.Fatalf("setup %q: too short", step)
	}
	p := filepath.Join(root, filepath.FromSlash(expandVars(step[1], vars)))
	switch step[0] {
	case "layout":
		setVars(vars, testbase.Layout(t, p))
	case "single":
		info := testbase.Layout(t, p)
		setVars(vars, info)
		testbase.WriteIndex(t, p, ocispec.Index{Versioned: testbase.Versioned, MediaType: ocispec.MediaTypeImageIndex,
			Manifests: []ocispec.Descriptor{withRef(info.Images[0].Manifest)}})
	case "oci-archive":
		setVars(vars, testbase.OCIArchive(t, p))
	case "docker-archive":
		setVars(vars, testbase.DockerArchive(t, p))
	case "edit":
		editSingle(t, p, step[2:])
	case "docker-edit":
		editDockerArchive(t, p, step[2:])
	case "fifo":
		os.Remove(p)
		cliMust(t, syscall.Mkfifo(p, 0o644))
	case "symlink":
		os.Remove(p)
		cliMust(t, os.Symlink(step[2], p))
	case "sparse":
		os.Remove(p)
		size, err := strconv.ParseInt(step[2], 10, 64)
		cliMust(t, err)
		f, err := os.Create(p)
		cliMust(t, err)
		cliMust(t, f.Truncate(size))
		cliMust(t, f.Close())
	case "tar":
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		cliMust(t, tw.WriteHeader(&tar.Header{Name: step[2], Typeflag: tar.TypeReg, Mode: 0o644, Size: 5}))
		_, err := tw.Write([]byte("evil\n"))
		cliMust(t, err)
		cliMust(t, tw.Close())
		cliMust(t, os.WriteFile(p, buf.Bytes(), 0o644))
	case "gzip-corrupt":
		cliMust(t, os.WriteFile(p, []byte("\x1f\x8b\x08\x00garbage that does not inflate"), 0o644))
	case "remove":
		cliMust(t, os.RemoveAll(p))
	case "write":
		text := ""
		for i, w := range step[2:] {
			if i > 0 {
				text += " "
			}
			text += expandVars(w, vars)
		}
		cliMust(t, os.MkdirAll(filepath.Dir(p), 0o755))
		cliMust(t, os.WriteFile(p, []byte(text), 0o644))
	default:
		t.Fatalf("setup %q: unknown step", step)
	}
}

// setVars records the hex digests of a test base's blobs.
func setVars(vars map[string]string, info testbase.Info) {
	im := info.Images[0]
	if info.Index.Digest != "" { // docker archives have neither
		vars["INDEX"] = info.Index.Digest.Encoded()
		vars["AMD64_MANIFEST"] = im.Manifest.Digest.Encoded()
	}
	vars["AMD64_CONFIG"] = im.Config.Digest.Encoded()
	vars["LAYER0"] = im.Layers[0].Digest.Encoded()
	vars["LAYER1"] = im.Layers[1].Digest.Encoded()
}

// withRef returns d with the ref name "latest".
func withRef(d ocispec.Descriptor) ocispec.Descriptor {
	d.Annotations = map[string]string{ocispec.AnnotationRefName: "latest"}
	return d
}

// editSingle rewrites the image of a single layout (see corpusSetup) and
// points index.json at the new manifest. Ops:
//
//	diffids-drop    the config lists one diff_id fewer than the layers
//	diffids-extra   the config lists one diff_id more
//	diffids-wrong   the last diff_id is the digest of something else
//	uncompressed    the last layer is stored uncompressed with a wrong diff_id
//	layers N        N layers (the two base layers repeated), diff_ids to match
func editSingle(t *testing.T, dir string, op []string) {
	t.Helper()
	idx := testbase.ReadIndex(t, dir)
	var m ocispec.Manifest
	readJSONBlob(t, dir, idx.Manifests[0].Digest, &m)
	var cfg map[string]any
	readJSONBlob(t, dir, m.Config.Digest, &cfg)
	rootfs := cfg["rootfs"].(map[string]any)
	ids := rootfs["diff_ids"].([]any)
	switch op[0] {
	case "diffids-drop":
		ids = ids[:len(ids)-1]
	case "diffids-extra":
		ids = append(ids, digest.FromString("extra").String())
	case "diffids-wrong":
		ids[len(ids)-1] = digest.FromString("wrong").String()
	case "uncompressed":
		l := testbase.WriteBlob(t, dir, ocispec.MediaTypeImageLayer, uncompressedLayer(t))
		m.Layers[len(m.Layers)-1] = l
	case "layers":
		n, err := strconv.Atoi(op[1])
		cliMust(t, err)
		layers, base := m.Layers, slices.Clone(ids)
		m.Layers, ids = nil, nil
		for i := 0; i < n; i++ {
			m.Layers = append(m.Layers, layers[i%2])
			ids = append(ids, base[i%2])
		}
	default:
		t.Fatalf("edit %q: unknown op", op)
	}
	rootfs["diff_ids"] = ids
	m.Config = testbase.WriteBlob(t, dir, m.Config.MediaType, testbase.JSON(t, cfg))
	md := testbase.WriteBlob(t, dir, m.MediaType, testbase.JSON(t, m))
	md.Platform = idx.Manifests[0].Platform
	idx.Manifests = []ocispec.Descriptor{withRef(md)}
	testbase.WriteIndex(t, dir, idx)
}

// uncompressedLayer is a small tar holding one file.
func uncompressedLayer(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	cliMust(t, tw.WriteHeader(&tar.Header{Name: "hello.txt", Typeflag: tar.TypeReg, Mode: 0o644, Size: 6}))
	_, err := tw.Write([]byte("hello\n"))
	cliMust(t, err)
	cliMust(t, tw.Close())
	return buf.Bytes()
}

// readJSONBlob decodes the blob d of the layout dir into v.
func readJSONBlob(t *testing.T, dir string, d digest.Digest, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "blobs", "sha256", d.Encoded()))
	cliMust(t, err)
	cliMust(t, json.Unmarshal(data, v))
}

// editDockerArchive rewrites the config (diffids-drop, diffids-wrong) or
// the manifest.json layer list (layers N: the layers repeated) of a
// legacy docker archive written by testbase.DockerArchive.
func editDockerArchive(t *testing.T, file string, op []string) {
	t.Helper()
	names, files := readTarFiles(t, file)
	var entries []map[string]any
	cliMust(t, json.Unmarshal(files["manifest.json"], &entries))
	cfgName := entries[0]["Config"].(string)
	var cfg map[string]any
	cliMust(t, json.Unmarshal(files[cfgName], &cfg))
	ids := cfg["rootfs"].(map[string]any)["diff_ids"].([]any)
	switch op[0] {
	case "diffids-drop":
		ids = ids[:len(ids)-1]
	case "diffids-wrong":
		ids[len(ids)-1] = digest.FromString("wrong").String()
	case "layers":
		n, err := strconv.Atoi(op[1])
		cliMust(t, err)
		layers := entries[0]["Layers"].([]any)
		var many []any
		for i := 0; i < n; i++ {
			many = append(many, layers[i%len(layers)])
		}
		entries[0]["Layers"] = many
	default:
		t.Fatalf("docker-edit %q: unknown op", op)
	}
	cfg["rootfs"].(map[string]any)["diff_ids"] = ids
	files[cfgName] = testbase.JSON(t, cfg)
	files["manifest.json"] = testbase.JSON(t, entries)
	writeTarFiles(t, file, names, files)
}

// readTarFiles returns a tar's regular files in order and by name.
func readTarFiles(t *testing.T, file string) ([]string, map[string][]byte) {
	t.Helper()
	f, err := os.Open(file)
	cliMust(t, err)
	defer f.Close()
	var names []string
	files := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names, files
		}
		cliMust(t, err)
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(tr)
		cliMust(t, err)
		names = append(names, h.Name)
		files[h.Name] = data
	}
}

// writeTarFiles writes the named files as a tar.
func writeTarFiles(t *testing.T, file string, names []string, files map[string][]byte) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		cliMust(t, tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(files[n]))}))
		_, err := tw.Write(files[n])
		cliMust(t, err)
	}
	cliMust(t, tw.Close())
	cliMust(t, os.WriteFile(file, buf.Bytes(), 0o644))
}
