package testbase

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/tartest"
)

// checkBlob fails unless dir holds d's blob with the right digest and size.
func checkBlob(t *testing.T, dir string, d ocispec.Descriptor) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "blobs", "sha256", d.Digest.Encoded()))
	if err != nil {
		t.Fatal(err)
	}
	if digest.FromBytes(data) != d.Digest || int64(len(data)) != d.Size {
		t.Fatalf("blob %s: content does not match descriptor", d.Digest)
	}
	return data
}

func TestLayout(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(testing.TB, string) Info
		index string
	}{
		{"oci", Layout, ocispec.MediaTypeImageIndex},
		{"schema2", DockerSchema2Layout, MediaTypeDockerManifestList},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			info := tc.write(t, dir)
			idx := ReadIndex(t, dir)
			if len(idx.Manifests) != 1 || idx.Manifests[0].Digest != info.Index.Digest {
				t.Fatalf("index.json = %+v, want one entry %s", idx.Manifests, info.Index.Digest)
			}
			if got := idx.Manifests[0].Annotations[ocispec.AnnotationRefName]; got != Ref {
				t.Errorf("ref name = %q", got)
			}
			var inner ocispec.Index
			if err := json.Unmarshal(checkBlob(t, dir, info.Index), &inner); err != nil {
				t.Fatal(err)
			}
			if inner.MediaType != tc.index || len(info.Images) != 2 {
				t.Fatalf("inner index %s with %d images", inner.MediaType, len(info.Images))
			}
			for _, im := range info.Images {
				checkBlob(t, dir, im.Manifest)
				checkBlob(t, dir, im.Config)
				for _, l := range im.Layers {
					checkBlob(t, dir, l)
				}
			}
			if info.Image(t, "linux/arm64/v8").Config.Digest == info.Images[0].Config.Digest {
				t.Error("arm64 and amd64 share a config")
			}
		})
	}
}

func TestLayoutReproducible(t *testing.T) {
	a, b := Layout(t, t.TempDir()), Layout(t, t.TempDir())
	if a.Index.Digest != b.Index.Digest {
		t.Fatalf("index digests differ: %s, %s", a.Index.Digest, b.Index.Digest)
	}
	if a.Attestation.Annotations[AnnotationReferenceType] != AttestationManifest {
		t.Error("no attestation manifest")
	}
}

// tarFiles reads the regular files of a tar.
func tarFiles(t *testing.T, path string) map[string][]byte {
	t.Helper()
	return tartest.Files(tartest.ReadFile(t, path))
}

func TestOCIArchive(t *testing.T) {
	p := filepath.Join(t.TempDir(), "base.tar")
	info := OCIArchive(t, p)
	files := tarFiles(t, p)
	if string(files["oci-layout"]) != OCILayoutFile {
		t.Errorf("oci-layout = %q", files["oci-layout"])
	}
	if _, ok := files["blobs/sha256/"+info.Index.Digest.Encoded()]; !ok {
		t.Error("index blob missing")
	}
}

func TestDockerArchive(t *testing.T) {
	p := filepath.Join(t.TempDir(), "base.tar")
	info := DockerArchiveMulti(t, p)
	files := tarFiles(t, p)
	var m []dockerEntry
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatal(err)
	}
	if len(m) != 2 || m[1].RepoTags[0] != "busybox:arm64" {
		t.Fatalf("manifest.json = %+v", m)
	}
	for i, l := range info.Images[0].Layers {
		if digest.FromBytes(files[m[0].Layers[i]]) != l.Digest {
			t.Errorf("layer %d digest mismatch", i)
		}
	}
	if !bytes.Equal(files[m[0].Config], info.Images[0].ConfigJSON) {
		t.Error("config differs")
	}
}

func TestBaseLayers(t *testing.T) {
	ls := baseLayers(t)
	for _, e := range tartest.Read(t, bytes.NewReader(ls[1].tar), "layer 1") {
		if e.Header.Name == "tmp/" {
			if e.Header.Mode != 0o1777 {
				t.Fatalf("tmp/ mode %o", e.Header.Mode)
			}
			return
		}
	}
	t.Fatal("no tmp/ entry")
}
