package resolve_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/resolve"
)

// TestRegistryPrefetch: an Open of a blob being prefetched waits for the
// download and reads the cached file (one GET in all); a blob whose
// prefetch failed is fetched by the next Open.
func TestRegistryPrefetch(t *testing.T) {
	reg, info, top := seeded(t, registrytest.Options{})
	proxy := registrytest.NewProxy(t, reg.Host)
	ctx := context.Background()
	b, err := resolve.Open(ctx, proxy.Host+"/lib/busybox@"+top.Digest.String(), resolve.Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	p, ok := b.Blobs.(resolve.Prefetcher)
	if !ok {
		t.Fatal("a registry base with a cache cannot prefetch")
	}
	layers := info.Image(t, "linux/amd64").Layers
	slow, failed := layers[0], layers[1]
	proxy.Inject(registrytest.ProxyFault{Kind: registrytest.SlowBody, Method: http.MethodGet, Path: slow.Digest.String(), Delay: 2 * time.Millisecond})
	proxy.Inject(registrytest.ProxyFault{Kind: registrytest.Status, Method: http.MethodGet, Path: failed.Digest.String(), Status: http.StatusNotFound})
	wait := p.Prefetch(ctx, layers)
	readAll(t, b.Blobs, slow) // while its prefetch is under way
	readAll(t, b.Blobs, failed)
	wait(false)
	for _, l := range []struct {
		name string
		want int
	}{{slow.Digest.String(), 1}, {failed.Digest.String(), 2}} {
		if n := proxy.Counter.Count(http.MethodGet, l.name); n != l.want {
			t.Errorf("GETs of %s: %d, want %d\n%v", l.name, n, l.want, proxy.Counter.Requests())
		}
	}
	if pa := b.Blobs.(resolve.Pather); pa.Path(slow) == "" || pa.Path(failed) == "" {
		t.Error("a layer read is not cached")
	}
	proxy.Counter.Reset()
	p.Prefetch(ctx, layers)(false) // everything cached: nothing to do
	if reqs := proxy.Counter.Requests(); len(reqs) != 0 {
		t.Errorf("prefetch of cached blobs sent %v", reqs)
	}
}
