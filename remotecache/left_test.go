package remotecache_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/registry"
)

// TestLeftBlobAfterOff: a blob the build left in the repository (a
// source with no local file) is still read from there after the cache
// was turned off by another layer's failure: the push copies it when the
// registry refuses the mount, the SBOM reads it when no file list was
// saved, and neither had anything else to read. It failed with 'cache
// repository off'. The cache itself stays off (no record lookup).
func TestLeftBlobAfterOff(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{})
	proxy := registrytest.NewProxy(t, reg.Host)
	repo := proxy.Host + "/ci/cache"
	l := newLayer(t, t.TempDir(), "a", "a")
	seed, _ := newCache(t, repo, nil)
	seed.Store("shape-a", l.desc, l.diffID, l.path)
	seed.Push(ctx, nil)

	c, w := newCache(t, repo, &registry.Options{Retries: -1})
	if _, _, ok := c.Lookup(ctx, "shape-a", gz); !ok || !c.Has(ctx, l.desc) {
		t.Fatal("the record or its blob is missing")
	}
	left := c.Source(l.desc, "")
	proxy.Inject(registrytest.ProxyFault{Kind: registrytest.Status, Path: "/manifests/", Times: 100, Status: http.StatusInternalServerError})
	if _, _, ok := c.Lookup(ctx, "shape-b", gz); ok || len(w.list()) != 1 {
		t.Fatalf("a failed lookup: warnings %q, want one", w.list())
	}
	rc, err := left.Open(ctx, l.desc)
	if err != nil {
		t.Fatalf("the left blob after the cache was turned off: %v", err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil || string(data) != string(l.data) {
		t.Errorf("read %d bytes, %v; want the blob", len(data), err)
	}
	if _, _, ok := c.Lookup(ctx, "shape-a", gz); ok {
		t.Error("a record lookup after the cache was turned off")
	}
}
