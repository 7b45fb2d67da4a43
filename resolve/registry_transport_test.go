package resolve_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/resolve"
)

// TestRegistryRedirectedBlobs pulls from registries that answer blob GETs
// with a 307 to a storage server on another port of 127.0.0.1 (plain HTTP):
// the content is read from storage and verified, and the registry's
// credentials never reach storage (Go's client would forward them: it only
// compares host names, not ports or schemes).
func TestRegistryRedirectedBlobs(t *testing.T) {
	setups := map[string]registrytest.Options{
		"anonymous":  {},
		"basic tls":  {Auth: registrytest.Basic, TLS: true, Users: testUsers},
		"token auth": {Auth: registrytest.Token, Users: testUsers},
	}
	for name, opts := range setups {
		t.Run(name, func(t *testing.T) {
			opts.RedirectBlobs = true
			reg, info, top := seeded(t, opts)
			ropts := resolve.Options{CacheDir: t.TempDir(), Registry: &registry.Options{CAFiles: caFiles(reg)}}
			if opts.Auth != registrytest.Anonymous {
				ropts.Registry.AuthFiles = []string{registrytest.DockerConfig(t, t.TempDir(), reg.Host, testUser, testPassword)}
			}
			b, err := resolve.Open(context.Background(), reg.Host+"/lib/busybox:1", ropts)
			if err != nil {
				t.Fatal(err)
			}
			im := info.Image(t, "linux/amd64")
			if b.Digest != top.Digest || string(b.Images[0].Config) != string(im.ConfigJSON) {
				t.Fatalf("got %s, want %s with the amd64 config", b.Digest, top.Digest)
			}
			for _, l := range im.Layers {
				readAll(t, b.Blobs, l)
				if n := reg.Storage.Count(http.MethodGet, l.Digest.String()); n != 1 {
					t.Fatalf("layer %s: %d storage GETs, want 1", l.Digest, n)
				}
			}
			if n := countStatus(reg.Counter, http.StatusTemporaryRedirect); n < len(im.Layers)+1 {
				t.Fatalf("%d redirects, want one per layer and the config", n)
			}
			if auth := reg.StorageAuth(); len(auth) != 0 {
				t.Fatalf("storage received Authorization %q", auth)
			}
		})
	}
}

// TestRegistryRetriesTransientFailures: two 503s on manifests and a 429 on
// a layer are retried; the pull succeeds and the content verifies.
func TestRegistryRetriesTransientFailures(t *testing.T) {
	reg, info, _ := seeded(t, registrytest.Options{})
	layer := info.Image(t, "linux/amd64").Layers[0]
	reg.Inject(registrytest.Fault{Path: "/manifests/", Times: 2, Status: http.StatusServiceUnavailable})
	reg.Inject(registrytest.Fault{Method: http.MethodGet, Path: layer.Digest.String(), Times: 1,
		Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"0"}}})
	ropts := resolve.Options{CacheDir: t.TempDir(), Registry: &registry.Options{RetryBackoff: time.Millisecond}}
	b, err := resolve.Open(context.Background(), reg.Host+"/lib/busybox:1", ropts)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, b.Blobs, layer)
	if n := countStatus(reg.Counter, http.StatusServiceUnavailable); n != 2 {
		t.Fatalf("%d 503 responses, want 2", n)
	}
	if n := countStatus(reg.Counter, http.StatusTooManyRequests); n != 1 {
		t.Fatalf("%d 429 responses, want 1", n)
	}
	checkCache(t, ropts.CacheDir, layer, true)
}

// TestRegistryPersistentFailure: a registry that always answers 500 or 429
// is given up on after a bounded number of attempts, with an error that
// names the host, the repository and the status.
func TestRegistryPersistentFailure(t *testing.T) {
	reg, info, _ := seeded(t, registrytest.Options{})
	const retries = 2
	// containerd sends a request up to 5 times (again after every 429, once
	// more after a repeated 5xx) and ybuild's transport retries each send.
	const most = 5 * (retries + 1)
	ropts := resolve.Options{CacheDir: t.TempDir(), Registry: &registry.Options{Retries: retries, RetryBackoff: time.Millisecond}}
	for _, status := range []int{http.StatusInternalServerError, http.StatusTooManyRequests} {
		reg.ClearFaults()
		reg.Counter.Reset()
		reg.Inject(registrytest.Fault{Path: "/manifests/", Status: status})
		_, err := resolve.Open(context.Background(), reg.Host+"/lib/busybox:1", ropts)
		if err == nil || !strings.Contains(err.Error(), reg.Host+"/lib/busybox") || !strings.Contains(err.Error(), strconv.Itoa(status)) {
			t.Fatalf("err = %v, want a %d error naming %s/lib/busybox", err, status, reg.Host)
		}
		n := reg.Counter.Count("", "/manifests/")
		t.Logf("%d: %d attempts; %v", status, n, err)
		if n <= retries || n > most {
			t.Fatalf("%d: %d manifest requests, want more than %d and at most %d", status, n, retries, most)
		}
	}

	// The same for a layer, whose download starts at the first Read.
	reg.ClearFaults()
	b, err := resolve.Open(context.Background(), reg.Host+"/lib/busybox:1", ropts)
	if err != nil {
		t.Fatal(err)
	}
	layer := info.Image(t, "linux/amd64").Layers[0]
	reg.Inject(registrytest.Fault{Path: "/blobs/", Status: http.StatusServiceUnavailable})
	reg.Counter.Reset()
	err = readErr(b.Blobs, layer)
	if err == nil || !strings.Contains(err.Error(), reg.Host+"/lib/busybox") || !strings.Contains(err.Error(), "503") {
		t.Fatalf("layer: err = %v, want a 503 error naming %s/lib/busybox", err, reg.Host)
	}
	t.Logf("layer: %d attempts; %v", reg.Counter.Count("", "/blobs/"), err)
	if n := reg.Counter.Count("", "/blobs/"); n <= retries || n > most {
		t.Fatalf("%d blob requests, want more than %d and at most %d", n, retries, most)
	}
	checkCache(t, ropts.CacheDir, layer, false)
}

// countStatus counts the recorded responses with status code.
func countStatus(c *registrytest.Counter, code int) int {
	n := 0
	for _, r := range c.Requests() {
		if r.Status == code {
			n++
		}
	}
	return n
}

// readErr reads a blob to the end and returns the error of Open or Read.
func readErr(src resolve.BlobSource, desc ocispec.Descriptor) error {
	rc, err := src.Open(context.Background(), desc)
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	return err
}

// checkCache asserts whether the cache holds desc, that it holds no temp
// files, and that every cached blob matches its name.
func checkCache(t *testing.T, dir string, desc ocispec.Descriptor, want bool) {
	t.Helper()
	blobs := filepath.Join(dir, "blobs", "sha256")
	entries, err := os.ReadDir(blobs)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(blobs, e.Name()))
		if err != nil || digest.FromBytes(data).Encoded() != e.Name() {
			t.Fatalf("cache entry %s does not match its name (%v)", e.Name(), err)
		}
		found = found || e.Name() == desc.Digest.Encoded()
	}
	if found != want {
		t.Fatalf("cache holds %s: %v, want %v", desc.Digest, found, want)
	}
}

// caFiles returns the registry's CA file, if it serves TLS.
func caFiles(reg *registrytest.Registry) []string {
	if reg.CAFile == "" {
		return nil
	}
	return []string{reg.CAFile}
}

// TestRegistryBrokenBlobBody: a connection broken in the middle of a layer
// is resumed with a range request and the layer verifies; when it breaks
// every time, the read fails cleanly, the cache holds no partial blob, and
// a pull after the fault is gone verifies and caches the layer.
func TestRegistryBrokenBlobBody(t *testing.T) {
	reg, info, _ := seeded(t, registrytest.Options{})
	ctx := context.Background()
	ropts := resolve.Options{CacheDir: t.TempDir(), Registry: &registry.Options{RetryBackoff: time.Millisecond}}
	ref := reg.Host + "/lib/busybox:1"
	b, err := resolve.Open(ctx, ref, ropts)
	if err != nil {
		t.Fatal(err)
	}
	layers := info.Image(t, "linux/amd64").Layers
	once, always := layers[0], layers[1]
	reg.Inject(registrytest.Fault{Method: http.MethodGet, Path: once.Digest.String(), Times: 1, Abort: true})
	readAll(t, b.Blobs, once)
	if n, resumed := reg.Counter.Count(http.MethodGet, once.Digest.String()), countStatus(reg.Counter, http.StatusPartialContent); n != 2 || resumed != 1 {
		t.Fatalf("%d GETs with %d range responses, want 2 with 1", n, resumed)
	}
	checkCache(t, ropts.CacheDir, once, true)

	reg.Inject(registrytest.Fault{Method: http.MethodGet, Path: always.Digest.String(), Abort: true})
	err = readErr(b.Blobs, always)
	t.Logf("always broken: %d GETs; %v", reg.Counter.Count(http.MethodGet, always.Digest.String()), err)
	if err == nil || !strings.Contains(err.Error(), reg.Host+"/lib/busybox") {
		t.Fatalf("err = %v, want an error naming %s/lib/busybox", err, reg.Host)
	}
	checkCache(t, ropts.CacheDir, always, false)

	reg.ClearFaults()
	b, err = resolve.Open(ctx, ref, ropts)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, b.Blobs, always)
	checkCache(t, ropts.CacheDir, always, true)
}
