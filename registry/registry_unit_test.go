package registry

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseReference(t *testing.T) {
	d := "sha256:" + strings.Repeat("a", 64)
	tests := []struct{ in, want, host string }{
		{"alpine", "docker.io/library/alpine:latest", "docker.io"},
		{"alpine:3.20", "docker.io/library/alpine:3.20", "docker.io"},
		{"ghcr.io/org/app@" + d, "ghcr.io/org/app@" + d, "ghcr.io"},
		{"harbor.local:8443/p/img:1", "harbor.local:8443/p/img:1", "harbor.local"},
		{"127.0.0.1:5000/x:1", "127.0.0.1:5000/x:1", "127.0.0.1"},
		{"localhost/x", "localhost/x:latest", "localhost"},
		{"registry.cn-hangzhou.aliyuncs.com/ns/img:tag@" + d, "registry.cn-hangzhou.aliyuncs.com/ns/img:tag@" + d, "registry.cn-hangzhou.aliyuncs.com"},
	}
	for _, tt := range tests {
		r, err := ParseReference(tt.in)
		if err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		if r.String() != tt.want || r.Hostname() != tt.host {
			t.Errorf("%s: got %s (host %s), want %s (host %s)", tt.in, r, r.Hostname(), tt.want, tt.host)
		}
	}
	for _, bad := range []string{"Alpine", "x@sha256:123", ""} {
		if _, err := ParseReference(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestDockerHubCredentialKey(t *testing.T) {
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("hubuser:hubpass"))
	cfg := filepath.Join(dir, "config.json")
	os.WriteFile(cfg, []byte(`{"auths":{"https://index.docker.io/v1/":{"auth":"`+auth+`"}}}`), 0o600)
	c := (&Options{AuthFiles: []string{cfg}}).credentials(context.Background())
	user, secret, err := c.lookup("registry-1.docker.io")
	if err != nil || user != "hubuser" || secret != "hubpass" {
		t.Fatalf("lookup = %q, %v", user, err)
	}
	if src, _ := c.source("registry-1.docker.io"); src != cfg {
		t.Fatalf("source = %q, want %s", src, cfg)
	}
	ref, _ := ParseReference("alpine")
	if h := credHint(ref, c); !strings.Contains(h, cfg) || strings.Contains(h, "hubpass") || !strings.Contains(h, "docker login") {
		t.Fatalf("hint = %q", h)
	}
}

func TestRetryTransport(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 2:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		case 3: // a broken connection
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		default:
			io.WriteString(w, "ok")
		}
	}))
	defer srv.Close()
	rt := &retryTransport{next: http.DefaultTransport, policy: retryPolicy{retries: 4, backoff: time.Millisecond, budget: time.Second}}
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp, err := rt.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK || calls.Load() != 4 {
		t.Fatalf("resp %v, err %v after %d calls", resp, err, calls.Load())
	}
	resp.Body.Close()

	// Bounded: always 503 gives up after the retries.
	calls.Store(-100)
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv2.Close()
	req, _ = http.NewRequest(http.MethodGet, srv2.URL, nil)
	resp, err = rt.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusBadGateway || calls.Load() != -95 {
		t.Fatalf("got %v %v after %d calls, want 502 after 5", resp, err, calls.Load()+100)
	}
	resp.Body.Close()

	// A streamed upload body is never replayed here.
	post, _ := http.NewRequest(http.MethodPut, srv2.URL, io.NopCloser(strings.NewReader("x")))
	if replayable(post) {
		t.Fatal("PUT with a stream is replayable")
	}
}
