package resolve

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/internal/testbase"
)

// blobFile returns the path of d's blob in the layout dir.
func blobFile(dir string, d ocispec.Descriptor) string {
	return filepath.Join(dir, "blobs", "sha256", d.Digest.Encoded())
}

// corrupt flips the first byte of a file, keeping its size.
func corrupt(t *testing.T, file string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	data[0] ^= 0xff
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOpenInvalid(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ref     string
		opts    Options
		mutate  func(t *testing.T, dir string, info testbase.Info)
		wantErr error
		errHas  string
	}{
		{name: "no oci-layout", mutate: func(t *testing.T, dir string, _ testbase.Info) {
			os.Remove(filepath.Join(dir, "oci-layout"))
		}, wantErr: ErrInvalidBase, errHas: "oci-layout"},
		{name: "bad layout version", mutate: func(t *testing.T, dir string, _ testbase.Info) {
			os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"2.0.0"}`), 0o644)
		}, wantErr: ErrInvalidBase, errHas: "oci-layout"},
		{name: "bad index.json", mutate: func(t *testing.T, dir string, _ testbase.Info) {
			os.WriteFile(filepath.Join(dir, "index.json"), []byte(`{"schemaVersion":2,"manifests":[`), 0o644)
		}, wantErr: ErrInvalidBase, errHas: "index.json"},
		{name: "missing index blob", mutate: func(t *testing.T, dir string, info testbase.Info) {
			os.Remove(blobFile(dir, info.Index))
		}, wantErr: ErrInvalidBase, errHas: "blobs/sha256"},
		{name: "missing config", mutate: func(t *testing.T, dir string, info testbase.Info) {
			os.Remove(blobFile(dir, info.Images[0].Config))
		}, wantErr: ErrInvalidBase, errHas: info0Config},
		{name: "corrupt manifest", mutate: func(t *testing.T, dir string, info testbase.Info) {
			corrupt(t, blobFile(dir, info.Images[0].Manifest))
		}, wantErr: imageio.ErrDigestMismatch},
		{name: "truncated config", mutate: func(t *testing.T, dir string, info testbase.Info) {
			os.Truncate(blobFile(dir, info.Images[0].Config), 10)
		}, wantErr: imageio.ErrDigestMismatch},
		{name: "corrupt arm64 config unused", mutate: func(t *testing.T, dir string, info testbase.Info) {
			corrupt(t, blobFile(dir, info.Images[1].Config))
		}},
		{name: "several refs", mutate: addRef("amd64"), wantErr: ErrAmbiguous, errHas: "latest, amd64"},
		{name: "single manifest ref", ref: ":amd64", mutate: addRef("amd64")},
		{name: "single manifest wrong platform", ref: ":amd64", opts: Options{Platforms: plats(t, "linux/arm64")},
			mutate: addRef("amd64"), wantErr: ErrNoMatchingPlatform, errHas: "linux/amd64"},
		{name: "duplicate ref", ref: ":latest", mutate: addRef("latest"), wantErr: ErrAmbiguous},
		{name: "schema1", mutate: schema1, wantErr: ErrUnsupported, errHas: "schema1"},
		{name: "no platforms in index", opts: Options{Platforms: plats(t, "linux/arm64")}, mutate: stripPlatforms},
		{name: "empty index.json", mutate: func(t *testing.T, dir string, _ testbase.Info) {
			testbase.WriteIndex(t, dir, ocispec.Index{Versioned: testbase.Versioned, Manifests: []ocispec.Descriptor{}})
		}, wantErr: ErrInvalidBase, errHas: "no entries"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			info := testbase.Layout(t, dir)
			tc.mutate(t, dir, info)
			b, err := Open(context.Background(), "oci:"+dir+tc.ref, tc.opts)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), strings.ReplaceAll(tc.errHas, info0Config, info.Images[0].Config.Digest.String())) {
					t.Errorf("err = %v, want the path and %q", err, tc.errHas)
				}
				return
			}
			if len(b.Images) != 1 {
				t.Fatalf("%d images", len(b.Images))
			}
		})
	}
}

// info0Config in errHas stands for the amd64 config digest.
const info0Config = "<amd64 config>"

// addRef adds an index.json entry named ref pointing at the amd64 manifest
// without a platform, so that the platform comes from its config.
func addRef(ref string) func(*testing.T, string, testbase.Info) {
	return func(t *testing.T, dir string, info testbase.Info) {
		idx := testbase.ReadIndex(t, dir)
		d := info.Images[0].Manifest
		d.Platform = nil
		d.Annotations = map[string]string{ocispec.AnnotationRefName: ref}
		idx.Manifests = append(idx.Manifests, d)
		testbase.WriteIndex(t, dir, idx)
	}
}

// schema1 points index.json at a Docker schema1 manifest.
func schema1(t *testing.T, dir string, _ testbase.Info) {
	d := testbase.WriteBlob(t, dir, imageio.MediaTypeDockerSchema1JWS, []byte(`{"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]}`))
	testbase.WriteIndex(t, dir, ocispec.Index{Versioned: testbase.Versioned, Manifests: []ocispec.Descriptor{d}})
}

// stripPlatforms replaces the image index by one whose entries have no platform.
func stripPlatforms(t *testing.T, dir string, info testbase.Info) {
	var entries []ocispec.Descriptor
	for _, im := range info.Images {
		d := im.Manifest
		d.Platform = nil
		entries = append(entries, d)
	}
	d := testbase.WriteBlob(t, dir, ocispec.MediaTypeImageIndex, testbase.JSON(t, ocispec.Index{Versioned: testbase.Versioned, MediaType: ocispec.MediaTypeImageIndex, Manifests: entries}))
	testbase.WriteIndex(t, dir, ocispec.Index{Versioned: testbase.Versioned, Manifests: []ocispec.Descriptor{d}})
}

func TestBlobVerification(t *testing.T) {
	dir := t.TempDir()
	info := testbase.Layout(t, dir)
	b, err := Open(context.Background(), "oci:"+dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	layer := info.Images[0].Layers[1]
	good, err := os.ReadFile(blobFile(dir, layer))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		content []byte
		wantErr error
	}{
		{"intact", good, nil},
		{"flipped", append([]byte{good[0] ^ 1}, good[1:]...), imageio.ErrDigestMismatch},
		{"short", good[:len(good)-1], imageio.ErrDigestMismatch},
		{"long", append(bytes.Clone(good), 0), imageio.ErrDigestMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(blobFile(dir, layer), tc.content, 0o644); err != nil {
				t.Fatal(err)
			}
			rc, err := b.Blobs.Open(context.Background(), layer)
			if err != nil {
				t.Fatal(err)
			}
			_, rerr := io.Copy(io.Discard, rc)
			cerr := rc.Close()
			if !errors.Is(rerr, tc.wantErr) || !errors.Is(cerr, tc.wantErr) {
				t.Fatalf("read err %v, close err %v, want %v", rerr, cerr, tc.wantErr)
			}
			hasPath := b.Blobs.(Pather).Path(layer) != ""
			if wantPath := len(tc.content) == len(good); hasPath != wantPath {
				t.Errorf("Path set = %v, want %v (size check)", hasPath, wantPath)
			}
		})
	}
}

func TestArchiveCorruption(t *testing.T) {
	file := filepath.Join(t.TempDir(), "oci.tar")
	info := testbase.OCIArchive(t, file)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cfg := info.Images[0].ConfigJSON
	i := bytes.Index(data, cfg)
	data[i+len(cfg)/2] ^= 1
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), "oci-archive:"+file, Options{}); !errors.Is(err, imageio.ErrDigestMismatch) {
		t.Fatalf("err = %v, want imageio.ErrDigestMismatch", err)
	}
	if err := os.WriteFile(file, []byte("\x1f\x8b\x08\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), "oci-archive:"+file, Options{}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("gzip archive: err = %v, want ErrUnsupported", err)
	}
}
