package remotecache_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/registrytest"
)

// TestSharedBlobOtherCompression: a record for a gzip layer whose blob is
// the layer's tar itself, or the tar compressed with zstd, decompresses to
// exactly the sources (and has the recorded DiffID), but it is not a gzip
// blob: shipped under the gzip media type, clients that trust the media
// type could not pull the image. It is refused, and the build is a cold
// one.
func TestSharedBlobOtherCompression(t *testing.T) {
	ctx := context.Background()
	cold := buildOn(t, nil)
	blob, err := os.ReadFile(cold.img.Path(cold.layer))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(blob))
	if err != nil {
		t.Fatal(err)
	}
	rawTar, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	zw, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	zstdTar := zw.EncodeAll(rawTar, nil)
	diffID := diffIDOf(t, cold)

	for name, data := range map[string][]byte{"plain tar": rawTar, "zstd": zstdTar} {
		t.Run(name, func(t *testing.T) {
			reg := registrytest.New(t, registrytest.Options{})
			repo := reg.Host + "/ci/cache"
			first, _ := newCache(t, repo, nil)
			buildOn(t, first)
			first.Push(ctx, nil)
			shape := recordShape(t, reg.Host)

			p := filepath.Join(t.TempDir(), "blob")
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			desc := ocispec.Descriptor{MediaType: gz, Digest: digest.FromBytes(data), Size: int64(len(data))}
			liar, _ := newCache(t, repo, nil)
			liar.Store(shape, desc, diffID, p)
			liar.Push(ctx, nil)

			c, w := newCache(t, repo, nil)
			got := buildOn(t, c)
			if got.img.Desc.Digest != cold.img.Desc.Digest || got.layer.Digest != cold.layer.Digest {
				t.Errorf("image %s layer %s (%s), want the cold build's %s %s", got.img.Desc.Digest, got.layer.Digest,
					got.layer.MediaType, cold.img.Desc.Digest, cold.layer.Digest)
			}
			if holds(got.img, desc.Digest) {
				t.Errorf("the %s blob is in the image as a gzip layer", name)
			}
			if len(w.list()) != 0 {
				t.Errorf("warnings: %q", w.list())
			}
		})
	}
}
