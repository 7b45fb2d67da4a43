package cache_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/cache"
	"github.com/ybuild/ybuild/imageio"
)

// download reads content through a verifying reader teed into the cache.
func download(t *testing.T, c *cache.Cache, desc ocispec.Descriptor, content string, n int) error {
	t.Helper()
	r := imageio.NewReader(io.NopCloser(strings.NewReader(content)), desc)
	w, err := c.Writer(desc)
	if err != nil {
		t.Fatal(err)
	}
	r.Tee(w)
	defer r.Close()
	if n >= 0 {
		_, err = r.Read(make([]byte, n))
		return err
	}
	_, err = io.ReadAll(r)
	return err
}

func TestCacheVerifiesBeforeCommit(t *testing.T) {
	c := cache.New(t.TempDir())
	data := "layer data"
	desc := ocispec.Descriptor{Digest: digest.FromString(data), Size: int64(len(data))}
	if err := download(t, c, desc, "LAYER DATA", -1); !errors.Is(err, imageio.ErrDigestMismatch) {
		t.Fatalf("err = %v, want ErrDigestMismatch", err)
	}
	_ = download(t, c, desc, data, 3) // an interrupted download: closed before EOF
	entries, _ := os.ReadDir(filepath.Dir(c.BlobPath(desc.Digest)))
	if c.Has(desc) || len(entries) != 0 {
		t.Fatalf("cache holds %d files after failed downloads", len(entries))
	}
	if err := download(t, c, desc, data, -1); err != nil || !c.Has(desc) {
		t.Fatalf("good download: %v, cached %v", err, c.Has(desc))
	}
	if got, _ := c.ReadAll(desc); string(got) != data {
		t.Fatalf("cached %q", got)
	}
	if _, ok := c.Verified(context.Background(), desc); !ok {
		t.Fatal("the cached blob does not verify")
	}
}

// TestVerifiedHonoursContext checks that a cancelled verification of a
// cached blob fails instead of reading on.
func TestVerifiedHonoursContext(t *testing.T) {
	c := cache.New(t.TempDir())
	data := strings.Repeat("x", 1<<20)
	desc := ocispec.Descriptor{Digest: digest.FromString(data), Size: int64(len(data))}
	if err := download(t, c, desc, data, -1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := c.Verified(ctx, desc); ok {
		t.Fatal("verified under a cancelled context")
	}
	tmp := filepath.Join(t.TempDir(), "copy")
	os.WriteFile(tmp, []byte(data), 0o644)
	if err := c.Link(ctx, desc, tmp); err != nil {
		t.Fatalf("link within one file system: %v", err)
	}
}

// TestNilCache checks that no cache misses and stores nothing.
func TestNilCache(t *testing.T) {
	var c *cache.Cache
	desc := ocispec.Descriptor{Digest: digest.FromString("x"), Size: 1}
	if c.Has(desc) || c.Dir() != "" {
		t.Fatal("a nil cache has something")
	}
	if err := c.PutRef("r", desc); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Ref("r"); ok {
		t.Fatal("a nil cache has a ref")
	}
	if err := c.PutRecord(cache.ByKey, "k", cache.Record{Desc: desc, DiffID: desc.Digest}); err != nil {
		t.Fatal(err)
	}
}

// TestRefsAndRecords checks the round trip of ref and layer records.
func TestRefsAndRecords(t *testing.T) {
	c := cache.New(t.TempDir())
	desc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString("m"), Size: 1}
	if err := c.PutRef("example.com/a:1", desc); err != nil {
		t.Fatal(err)
	}
	if got, ok := c.Ref("example.com/a:1"); !ok || got.Digest != desc.Digest {
		t.Fatalf("ref = %v, %v", got, ok)
	}
	if _, ok := c.Ref("example.com/a:2"); ok {
		t.Fatal("an unknown ref resolved")
	}
	r := cache.Record{Desc: desc, DiffID: digest.FromString("d")}
	if err := c.PutRecord(cache.ByShape, "s", r); err != nil {
		t.Fatal(err)
	}
	if got, ok := c.Record(cache.ByShape, "s"); !ok || got.DiffID != r.DiffID {
		t.Fatalf("record = %v, %v", got, ok)
	}
	if _, ok := c.Record(cache.ByKey, "s"); ok {
		t.Fatal("a shape record found by key")
	}
	os.WriteFile(filepath.Join(c.Dir(), "shapes", "bad.json"), []byte(`{"descriptor":{"digest":"sha256:x"}}`), 0o600)
	if _, ok := c.Record(cache.ByShape, "bad"); ok {
		t.Fatal("a malformed record was accepted")
	}
}
