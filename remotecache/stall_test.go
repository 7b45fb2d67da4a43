package remotecache_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/resolve"
	"github.com/ybuild/ybuild/spec"
)

// randomBytes returns n random bytes.
func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// buildData builds one layer holding data on scratch, with shared as the
// shared cache (nil: none) and an empty local cache.
func buildData(t *testing.T, ctx context.Context, data []byte, shared assemble.SharedCache) (*assemble.Image, error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "data.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	yaml := "apiVersion: ybuild/v1\nname: s\nbase: scratch\nfiles:\n  - {src: data.bin, dst: /data.bin}\n"
	b, err := spec.Parse([]byte(yaml), "build.yaml", dir, spec.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	base, err := resolve.Open(ctx, b.Base, resolve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opts := assemble.Options{BlobDir: t.TempDir(), LayerCacheDir: t.TempDir()}
	if shared != nil {
		opts.Shared = shared
	}
	return assemble.Build(ctx, b, base, opts)
}

// TestSharedBlobStalledAfterMismatch: a recorded blob that differs from
// the sources is refused at the first chunk that differs, and its
// download stops there, even when the registry then stalls the
// connection (here with no idle timeout to end it): the build goes on as
// a cold one instead of waiting for bytes it will throw away.
func TestSharedBlobStalledAfterMismatch(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{})
	data := randomBytes(t, 3<<20)
	cold, err := buildData(t, ctx, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := newCache(t, reg.Host+"/ci/cache", nil)
	if _, err := buildData(t, ctx, data, first); err != nil {
		t.Fatal(err)
	}
	first.Push(ctx, nil)
	shape := recordShape(t, reg.Host)

	// The record now names a blob of other content: a first MiB of zeros
	// (a few KiB compressed, so that the comparison fails before the
	// stall), then random bytes.
	var other bytes.Buffer
	zw := gzip.NewWriter(&other)
	if _, err := zw.Write(append(make([]byte, 1<<20), randomBytes(t, 2<<20)...)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "blob")
	if err := os.WriteFile(p, other.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	desc := ocispec.Descriptor{MediaType: gz, Digest: digest.FromBytes(other.Bytes()), Size: int64(other.Len())}
	liar, _ := newCache(t, reg.Host+"/ci/cache", nil)
	liar.Store(shape, desc, digest.FromString("a lie"), p)
	liar.Push(ctx, nil)

	proxy := registrytest.NewProxy(t, reg.Host)
	proxy.Inject(registrytest.ProxyFault{Kind: registrytest.StallBody, Method: http.MethodGet,
		Path: "/blobs/" + desc.Digest.String(), After: 2 << 10})
	c, _ := newCache(t, proxy.Host+"/ci/cache", &registry.Options{IdleTimeout: -1})
	bctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	got, err := buildData(t, bctx, data, c)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	if got.Desc.Digest != cold.Desc.Digest {
		t.Errorf("image %s, want the cold build's %s", got.Desc.Digest, cold.Desc.Digest)
	}
	if proxy.Hits() != 1 {
		t.Errorf("%d stalled downloads, want 1", proxy.Hits())
	}
}
