package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/internal/testbase"
)

// TestProxyEnvironment runs the real ybuild process with HTTP_PROXY set and
// a base on a registry name only the proxy can reach (registry.test, which
// the proxy sends to the loopback registry): the build succeeds and every
// registry request went through the proxy. (Go never proxies requests to
// loopback addresses, hence the made-up name; and it reads the proxy
// variables once per process, hence a separate process.)
func TestProxyEnvironment(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	baseDir := filepath.Join(t.TempDir(), "base")
	testbase.Layout(t, baseDir)
	reg.PushLayout(t, baseDir, testbase.Ref, reg.Host+"/lib/busybox:1")
	_, port, err := net.SplitHostPort(reg.Host)
	cliMust(t, err)
	proxied := newRecordingProxy(t, reg.Host)

	name := "registry.test:" + port
	layout := filepath.Join(t.TempDir(), "layout")
	cmd := exec.Command(testExecutable(t), "-f", e2eHelloDir(t), "--arg", "BASE="+name+"/lib/busybox:1",
		"--insecure-registry", name, "--progress", "quiet", "--cache-dir", t.TempDir(), "-o", "oci:"+layout)
	cmd.Env = append(os.Environ(), "YBUILD_TEST_MAIN=1", "NO_PROXY=", "no_proxy=",
		"HTTP_PROXY="+proxied.URL, "http_proxy="+proxied.URL, "HTTPS_PROXY="+proxied.URL, "https_proxy="+proxied.URL)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ybuild through the proxy: %v\n%s", err, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "oci:"+layout+" sha256:") {
		t.Fatalf("stdout %q", stdout.String())
	}
	if got := proxied.hosts(); len(got) == 0 || got[0] != name {
		t.Fatalf("the proxy saw requests for %v, want %s", got, name)
	}
}

// recordingProxy is a forward proxy (absolute-form requests and CONNECT
// tunnels) that sends everything to one backend and records the hosts
// asked for. ybuild tries TLS first on an insecure registry (a CONNECT
// tunnel), then falls back to plain HTTP.
type recordingProxy struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

// newRecordingProxy starts a proxy forwarding to backend (host:port).
func newRecordingProxy(t *testing.T, backend string) *recordingProxy {
	p := &recordingProxy{}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		p.record(r.In.URL.Host)
		r.Out.URL.Scheme, r.Out.URL.Host = "http", backend
	}}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodConnect:
			p.record(r.Host)
			tunnel(w, backend)
		case r.URL.IsAbs():
			rp.ServeHTTP(w, r)
		default:
			http.Error(w, "not a proxy request", http.StatusBadRequest)
		}
	}))
	t.Cleanup(p.Close)
	return p
}

// record notes a host asked for.
func (p *recordingProxy) record(host string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = append(p.seen, host)
}

// tunnel answers a CONNECT and pipes the connection to backend.
func tunnel(w http.ResponseWriter, backend string) {
	out, err := net.Dial("tcp", backend)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	w.WriteHeader(http.StatusOK)
	in, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		out.Close()
		return
	}
	go func() { _, _ = io.Copy(out, in); out.Close() }()
	go func() { _, _ = io.Copy(in, out); in.Close() }()
}

// hosts returns the distinct hosts the proxy was asked for.
func (p *recordingProxy) hosts() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, h := range p.seen {
		if len(out) == 0 || out[len(out)-1] != h {
			out = append(out, h)
		}
	}
	return out
}
