package resolve

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/imageio"
)

// memLayout is an in-memory OCI layout for fuzzing: the root files and
// blobs by digest.
type memLayout struct {
	files map[string][]byte
	blobs map[digest.Digest][]byte
}

var _ layoutFS = (*memLayout)(nil)

func (m *memLayout) Open(_ context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	data, ok := m.blobs[desc.Digest]
	if !ok {
		return nil, ErrInvalidBase
	}
	return verifyLocal(io.NopCloser(bytes.NewReader(data)), desc)
}

func (m *memLayout) readFile(ctx context.Context, name string) ([]byte, error) {
	data, ok := m.files[name]
	if !ok {
		return nil, os.ErrNotExist
	}
	return readSmall(ctx, bytes.NewReader(data), name)
}

func (m *memLayout) check(desc ocispec.Descriptor) error {
	data, ok := m.blobs[desc.Digest]
	if !ok {
		return ErrInvalidBase
	}
	return checkSize(desc, int64(len(data)))
}

func (m *memLayout) String() string { return "fuzz" }

// fuzzIndex, fuzzManifest and fuzzConfig are a valid single-image layout;
// the fuzzer mutates them. @MANIFEST@ and @MSIZE@ in the index, and
// @CONFIG@ and @CSIZE@ in the manifest, are replaced with the real digest
// and size of the manifest and config, so that mutations get past digest
// verification and reach the parsers.
const (
	fuzzIndex    = `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"@MANIFEST@","size":@MSIZE@,"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}`
	fuzzManifest = `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"@CONFIG@","size":@CSIZE@},"layers":[]}`
	fuzzConfig   = `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`
)

// FuzzLayout opens fuzzed layouts (index.json, a manifest or index, a
// config): Open may fail, but only with an error that wraps one of the
// package's sentinels, and it never panics or hangs.
func FuzzLayout(f *testing.F) {
	f.Add([]byte(fuzzIndex), []byte(fuzzManifest), []byte(fuzzConfig))
	f.Add([]byte(fuzzIndex), []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"@CONFIG@","size":@CSIZE@}]}`), []byte(fuzzManifest))
	f.Add([]byte(fuzzIndex), []byte(fuzzManifest), []byte(`{"architecture":"amd64","os":"linux","rootfs":{"diff_ids":["sha256:0000000000000000000000000000000000000000000000000000000000000000"]}}`))
	f.Fuzz(func(t *testing.T, index, manifest, config []byte) {
		cfgDesc := digest.FromBytes(config)
		manifest = bytes.ReplaceAll(manifest, []byte("@CONFIG@"), []byte(cfgDesc))
		manifest = bytes.ReplaceAll(manifest, []byte("@CSIZE@"), []byte(strconv.Itoa(len(config))))
		index = bytes.ReplaceAll(index, []byte("@MANIFEST@"), []byte(digest.FromBytes(manifest)))
		index = bytes.ReplaceAll(index, []byte("@MSIZE@"), []byte(strconv.Itoa(len(manifest))))
		l := &memLayout{
			files: map[string][]byte{ocispec.ImageLayoutFile: []byte(`{"imageLayoutVersion":"1.0.0"}`), ocispec.ImageIndexFile: index},
			blobs: map[digest.Digest][]byte{digest.FromBytes(manifest): manifest, cfgDesc: config},
		}
		_, err := fromLayout(context.Background(), l, "", Options{AllPlatforms: true})
		checkFuzzError(t, err)
	})
}

// FuzzArchive opens fuzzed bytes as an oci-archive and as a docker-archive.
func FuzzArchive(f *testing.F) {
	for _, s := range fuzzArchiveSeeds(f) {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "a.tar")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, ref := range []string{"oci-archive:" + p, "docker-archive:" + p} {
			_, err := Open(context.Background(), ref, Options{AllPlatforms: true})
			checkFuzzError(t, err)
		}
	})
}

// checkFuzzError fails unless err is nil or wraps a sentinel of the package.
func checkFuzzError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range []error{ErrInvalidBase, ErrNotFound, ErrAmbiguous, ErrNoMatchingPlatform, imageio.ErrDigestMismatch, ErrUnsupported} {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error wraps no sentinel: %v", err)
}

// fuzzArchiveSeeds returns a small valid OCI archive and a small legacy
// docker archive.
func fuzzArchiveSeeds(f testing.TB) [][]byte {
	config := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["@LAYER@"]}}`)
	layer := fuzzTar(f, map[string][]byte{"hello.txt": []byte("hello\n")}, nil)
	config = bytes.ReplaceAll(config, []byte("@LAYER@"), []byte(digest.FromBytes(layer)))
	manifest := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"` +
		digest.FromBytes(config).String() + `","size":` + strconv.Itoa(len(config)) + `},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"` +
		digest.FromBytes(layer).String() + `","size":` + strconv.Itoa(len(layer)) + `}]}`)
	index := bytes.ReplaceAll([]byte(fuzzIndex), []byte("@MANIFEST@"), []byte(digest.FromBytes(manifest)))
	index = bytes.ReplaceAll(index, []byte("@MSIZE@"), []byte(strconv.Itoa(len(manifest))))
	blob := func(b []byte) string { return "blobs/sha256/" + digest.FromBytes(b).Encoded() }
	oci := fuzzTar(f, map[string][]byte{
		"oci-layout": []byte(`{"imageLayoutVersion":"1.0.0"}`), "index.json": index,
		blob(manifest): manifest, blob(config): config, blob(layer): layer,
	}, []string{"oci-layout", "index.json", blob(manifest), blob(config), blob(layer)})
	docker := fuzzTar(f, map[string][]byte{
		"manifest.json": []byte(`[{"Config":"c.json","RepoTags":["busybox:latest"],"Layers":["l/layer.tar"]}]`),
		"c.json":        config, "l/layer.tar": layer,
	}, []string{"manifest.json", "c.json", "l/layer.tar"})
	return [][]byte{oci, docker}
}

// fuzzTar returns a tar of files in order (sorted when order is nil).
func fuzzTar(f testing.TB, files map[string][]byte, order []string) []byte {
	if order == nil {
		for n := range files {
			order = append(order, n)
		}
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range order {
		if err := tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(files[n]))}); err != nil {
			f.Fatal(err)
		}
		if _, err := tw.Write(files[n]); err != nil {
			f.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		f.Fatal(err)
	}
	return buf.Bytes()
}

// TestFuzzSeedsOpen checks that the fuzz seeds are valid bases, so that
// the fuzzers start from inputs that reach every parser.
func TestFuzzSeedsOpen(t *testing.T) {
	manifest := bytes.ReplaceAll([]byte(fuzzManifest), []byte("@CONFIG@"), []byte(digest.FromString(fuzzConfig)))
	manifest = bytes.ReplaceAll(manifest, []byte("@CSIZE@"), []byte(strconv.Itoa(len(fuzzConfig))))
	index := bytes.ReplaceAll([]byte(fuzzIndex), []byte("@MANIFEST@"), []byte(digest.FromBytes(manifest)))
	index = bytes.ReplaceAll(index, []byte("@MSIZE@"), []byte(strconv.Itoa(len(manifest))))
	l := &memLayout{
		files: map[string][]byte{ocispec.ImageLayoutFile: []byte(`{"imageLayoutVersion":"1.0.0"}`), ocispec.ImageIndexFile: index},
		blobs: map[digest.Digest][]byte{digest.FromBytes(manifest): manifest, digest.FromString(fuzzConfig): []byte(fuzzConfig)},
	}
	if _, err := fromLayout(context.Background(), l, "", Options{AllPlatforms: true}); err != nil {
		t.Errorf("layout seed: %v", err)
	}
	for i, kind := range []string{"oci-archive:", "docker-archive:"} {
		p := filepath.Join(t.TempDir(), "a.tar")
		if err := os.WriteFile(p, fuzzArchiveSeeds(t)[i], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(context.Background(), kind+p, Options{AllPlatforms: true}); err != nil {
			t.Errorf("%s seed: %v", kind, err)
		}
	}
}
