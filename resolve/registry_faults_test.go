package resolve_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/resolve"
)

// TestRegistryPullThroughFaults pulls the base's layers through the
// fault-injecting proxy: a connection reset in the middle of a layer (the
// case a clean FIN did not cover), a truncated body, a slow body, and
// several resets in a row all end in the verified layer in the cache, a
// reset resumed with a Range request from where it stopped; wrong bytes
// fail with ErrDigestMismatch and cache nothing; a layer that resets
// every time fails after a bounded number of requests.
func TestRegistryPullThroughFaults(t *testing.T) {
	reg, info, _ := seeded(t, registrytest.Options{})
	layer := info.Image(t, "linux/amd64").Layers[1]
	path := layer.Digest.String()
	tests := []struct {
		name    string
		faults  []registrytest.ProxyFault
		wantErr error
		maxGETs int
	}{
		{"reset mid-body", []registrytest.ProxyFault{{Kind: registrytest.ResetBody, Path: path}}, nil, 2},
		{"reset early", []registrytest.ProxyFault{{Kind: registrytest.ResetBody, Path: path, After: 1}}, nil, 2},
		{"truncated", []registrytest.ProxyFault{{Kind: registrytest.TruncateBody, Path: path}}, nil, 2},
		{"slow", []registrytest.ProxyFault{{Kind: registrytest.SlowBody, Path: path, Delay: time.Millisecond}}, nil, 1},
		{"resets in a row", []registrytest.ProxyFault{{Kind: registrytest.ResetBody, Path: path, Times: 3, After: 100}}, nil, 4},
		{"wrong bytes", []registrytest.ProxyFault{{Kind: registrytest.WrongBytes, Path: path}}, imageio.ErrDigestMismatch, 1},
		{"always reset", []registrytest.ProxyFault{{Kind: registrytest.ResetBody, Path: path, Times: 100, After: 1}}, errAny, 33},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proxy := registrytest.NewProxy(t, reg.Host)
			ropts := resolve.Options{CacheDir: t.TempDir(), Registry: &registry.Options{RetryBackoff: time.Millisecond, Retries: 4}}
			b, err := resolve.Open(context.Background(), proxy.Host+"/lib/busybox:1", ropts)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range tt.faults {
				proxy.Inject(f)
			}
			err = readErr(b.Blobs, layer)
			gets := proxy.Counter.Count(http.MethodGet, path)
			t.Logf("%d GETs, ranges %v: %v", gets, ranges(proxy.Counter, path), err)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("read: %v", err)
			case tt.wantErr == errAny && err == nil, tt.wantErr != nil && tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
				t.Fatalf("read: err = %v, want %v", err, tt.wantErr)
			}
			if gets > tt.maxGETs || gets == 0 {
				t.Fatalf("%d GETs of the layer, want 1 to %d", gets, tt.maxGETs)
			}
			checkCache(t, ropts.CacheDir, layer, tt.wantErr == nil)
			if tt.name == "reset mid-body" {
				if r := ranges(proxy.Counter, path); len(r) != 1 || !strings.HasPrefix(r[0], "bytes=") || r[0] == "bytes=0-" {
					t.Fatalf("resume ranges %v, want one from the break", r)
				}
			}
		})
	}
}

// errAny stands for "some error" in a test table.
var errAny = errors.New("any error")

// ranges returns the Range headers of the requests for path.
func ranges(c *registrytest.Counter, path string) []string {
	var out []string
	for _, r := range c.Requests() {
		if strings.Contains(r.Path, path) && r.Range != "" {
			out = append(out, r.Range)
		}
	}
	return out
}

// TestInsecureRegistryPlainHTTP: an --insecure-registry host whose HTTPS
// attempt is closed without an answer (a plain-HTTP registry behind a TCP
// proxy) is spoken to in plain HTTP after one TLS attempt, for the
// manifests and the layers alike.
func TestInsecureRegistryPlainHTTP(t *testing.T) {
	reg, info, _ := seeded(t, registrytest.Options{})
	proxy := registrytest.NewProxy(t, reg.Host)
	proxy.CloseTLS()
	ropts := resolve.Options{CacheDir: t.TempDir(), Registry: &registry.Options{Insecure: []string{proxy.Host}, RetryBackoff: time.Millisecond}}
	b, err := resolve.Open(context.Background(), proxy.Host+"/lib/busybox:1", ropts)
	if err != nil {
		t.Fatalf("open: %v (%d TLS attempts)", err, proxy.TLSAttempts())
	}
	for _, l := range info.Image(t, "linux/amd64").Layers {
		if err := readErr(b.Blobs, l); err != nil {
			t.Fatal(err)
		}
	}
	if n := proxy.TLSAttempts(); n != 1 {
		t.Fatalf("%d TLS attempts, want 1 before plain HTTP", n)
	}
	if n := proxy.Counter.Count(http.MethodGet, "/blobs/"); n == 0 {
		t.Fatal("the layers did not come through the proxy")
	}
}
