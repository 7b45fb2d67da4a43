package registry

import (
	"net/http"
	"sync"
	"time"
)

// insecureTLSTimeout bounds the TLS handshake with an insecure registry,
// so that one whose HTTPS port swallows the handshake falls back quickly.
const insecureTLSTimeout = 3 * time.Second

// plainHosts remembers the insecure hosts that are spoken to in plain HTTP.
type plainHosts struct {
	mu sync.Mutex
	m  map[string]bool
}

// has reports whether host fell back to plain HTTP.
func (p *plainHosts) has(host string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m[host]
}

// add records that host fell back to plain HTTP.
func (p *plainHosts) add(host string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]bool{}
	}
	p.m[host] = true
}

// insecureFallback sends a request for an --insecure-registry host over
// HTTPS once and, when that fails for any reason (a plain-HTTP server, a
// proxy that closes the TLS attempt, a handshake timeout), over plain
// HTTP, as skopeo's --tls-verify=false does. After one fallback the host is
// spoken to in plain HTTP only. It sits below the retry transport, so the
// HTTPS attempt is never retried.
type insecureFallback struct {
	next  http.RoundTripper
	plain *plainHosts
}

// RoundTrip sends req, falling back to plain HTTP.
func (f *insecureFallback) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" {
		return f.next.RoundTrip(req)
	}
	if f.plain.has(req.URL.Host) {
		// Nothing was sent yet: the request keeps its body (a streamed
		// upload's pipe must be the one that is read).
		return f.next.RoundTrip(withHTTP(req.Clone(req.Context())))
	}
	resp, err := f.next.RoundTrip(req)
	if err == nil || req.Context().Err() != nil || !replayableBody(req) {
		return resp, err
	}
	f.plain.add(req.URL.Host)
	plain, rerr := rewind(req)
	if rerr != nil {
		return resp, err
	}
	return f.next.RoundTrip(withHTTP(plain))
}

// withHTTP switches req (a copy) to plain HTTP.
func withHTTP(req *http.Request) *http.Request {
	u := *req.URL
	u.Scheme = "http"
	req.URL = &u
	return req
}

// replayableBody reports whether req's body can be sent again.
func replayableBody(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// insecureTransport returns the transport for an insecure host: t with a
// short TLS handshake timeout, under the plain-HTTP fallback.
func insecureTransport(t http.RoundTripper, plain *plainHosts) http.RoundTripper {
	if ht, ok := t.(*http.Transport); ok {
		ht = ht.Clone()
		ht.TLSHandshakeTimeout = insecureTLSTimeout
		t = ht
	}
	return &insecureFallback{next: t, plain: plain}
}
