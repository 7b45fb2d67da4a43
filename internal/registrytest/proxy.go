package registrytest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// FaultKind is what a Proxy does to a request it fails.
type FaultKind int

const (
	// ResetBody sends the response headers (with the full Content-Length)
	// and After bytes of the body, then resets the connection (TCP RST:
	// the client reads ECONNRESET).
	ResetBody FaultKind = iota
	// TruncateBody sends the headers and After bytes of the body, then
	// closes the connection cleanly (FIN: the client reads an unexpected EOF).
	TruncateBody
	// SlowBody sends the body in 16 KiB pieces, waiting Delay before each.
	SlowBody
	// WrongBytes sends the body with the byte at offset After flipped.
	WrongBytes
	// Status answers with Status (a 5xx, say) without passing the request
	// on; the request body is read and dropped.
	Status
	// ResetRequest reads After bytes of the request body (an upload), then
	// resets the connection without answering.
	ResetRequest
	// StallBody sends the response headers (with the full Content-Length)
	// and After bytes of the body, then sends nothing more and keeps the
	// connection open until the client closes it (or maxStall passes, or
	// the test ends).
	StallBody
	// StallRequest reads After bytes of the request body (an upload; 0
	// means 1 KiB), then stops reading and never answers, keeping the
	// connection open until maxStall passes or the test ends.
	StallRequest
)

// Proxy limits: a fault matches at most maxFaultTimes requests, a slow
// body waits at most maxDelay per piece.
const (
	maxFaultTimes = 100
	maxDelay      = 100 * time.Millisecond
	slowPiece     = 16 << 10
	maxStall      = 2 * time.Minute
)

// ProxyFault is a failure a Proxy injects into the requests that match
// Method and Path.
type ProxyFault struct {
	// Kind is the failure.
	Kind FaultKind
	// Method matches the request method; "" matches any.
	Method string
	// Path matches URL paths that contain it (a digest, "/blobs/uploads/").
	Path string
	// Times is how many matching requests fail: 0 means 1, at most 100.
	Times int
	// After is the body offset of ResetBody, TruncateBody, WrongBytes and
	// ResetRequest; 0 means half of the body (of what was read, for
	// ResetRequest: 1 KiB).
	After int64
	// Status is the status of a Status fault (default 500).
	Status int
	// Delay is the wait before each piece of a SlowBody (at most 100ms).
	Delay time.Duration
}

// Proxy is a fault-injecting HTTP proxy in front of a test registry, on a
// 127.0.0.1 listener: clients use Host as the registry's address, and it
// passes every request on to the registry, except those an injected fault
// matches. Registry URLs it hands out (upload locations) name the proxy,
// so uploads go through it too; token requests go to the registry itself.
type Proxy struct {
	// Host is the proxy's "127.0.0.1:PORT".
	Host string
	// Counter records every request that reached the proxy, with its Range.
	Counter *Counter

	backend     string
	transport   *http.Transport
	mu          sync.Mutex
	faults      []*proxyFault
	closeTLS    atomic.Bool
	tlsAttempts atomic.Int64
	done        chan struct{} // closed when the test ends: stalls let go
}

// proxyFault is an injected fault and how many requests it has failed.
type proxyFault struct {
	ProxyFault
	hits int
}

// NewProxy starts a proxy for the registry at backend (a loopback
// host:port); it stops when the test ends.
func NewProxy(t testing.TB, backend string) *Proxy {
	t.Helper()
	h, _, err := net.SplitHostPort(backend)
	if ip := net.ParseIP(h); err != nil || ip == nil || !ip.IsLoopback() {
		t.Fatalf("proxy backend %q: only loopback registries", backend)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Host: ln.Addr().String(), backend: backend,
		transport: &http.Transport{Proxy: nil, DisableCompression: true}, done: make(chan struct{})}
	p.Counter = NewCounter(http.HandlerFunc(p.serve))
	serve(t, tlsClosingListener{Listener: ln, p: p}, p.Counter, nil)
	t.Cleanup(p.transport.CloseIdleConnections)
	t.Cleanup(func() { close(p.done) })
	return p
}

// Inject adds a fault; a request is failed by the first fault that
// matches it and has not used up its Times.
func (p *Proxy) Inject(f ProxyFault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	f.Times = min(f.Times, maxFaultTimes)
	f.Delay = min(f.Delay, maxDelay)
	if f.Status == 0 {
		f.Status = http.StatusInternalServerError
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, &proxyFault{ProxyFault: f})
}

// Hits returns how many requests the faults have failed, in total.
func (p *Proxy) Hits() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, f := range p.faults {
		n += f.hits
	}
	return n
}

// match returns the fault for r, counting the hit.
func (p *Proxy) match(r *http.Request) (ProxyFault, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.faults {
		if (f.Method == "" || f.Method == r.Method) && strings.Contains(r.URL.Path, f.Path) && f.hits < f.Times {
			f.hits++
			return f.ProxyFault, true
		}
	}
	return ProxyFault{}, false
}

// serve passes r on, or fails it as its fault says.
func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	f, faulty := p.match(r)
	switch {
	case faulty && f.Kind == Status:
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.Status)
		_, _ = io.WriteString(w, `{"errors":[{"code":"UNKNOWN","message":"injected by the test proxy"}]}`)
		return
	case faulty && (f.Kind == ResetRequest || f.Kind == StallRequest):
		n := f.After
		if n == 0 {
			n = 1 << 10
		}
		_, _ = io.CopyN(io.Discard, r.Body, n)
		if f.Kind == StallRequest {
			p.hijack(w, p.stallRequest)
			return
		}
		p.hijack(w, func(c net.Conn, _ *bufio.ReadWriter) { reset(c) })
		return
	}
	resp, err := p.forward(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	if !faulty {
		copyResponse(w, resp, resp.Body)
		return
	}
	p.inject(w, resp, f)
}

// forward sends r to the registry, keeping its Host so that the URLs the
// registry builds name the proxy.
func (p *Proxy) forward(r *http.Request) (*http.Response, error) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme, out.URL.Host = "http", p.backend
	if r.ContentLength == 0 {
		out.Body = nil
	}
	return p.transport.RoundTrip(out)
}

// inject sends resp as the fault f says.
func (p *Proxy) inject(w http.ResponseWriter, resp *http.Response, f ProxyFault) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	at := f.After
	if at <= 0 || at >= int64(len(body)) {
		at = int64(len(body) / 2)
	}
	switch f.Kind {
	case WrongBytes:
		if len(body) > 0 {
			body[at] ^= 0xff
		}
		copyResponse(w, resp, strings.NewReader(string(body)))
	case SlowBody:
		copyResponse(w, resp, &slowReader{data: body, delay: f.Delay})
	case ResetBody, TruncateBody, StallBody:
		p.hijack(w, func(c net.Conn, bw *bufio.ReadWriter) {
			writeHead(bw, resp, len(body))
			_, _ = bw.Write(body[:at])
			_ = bw.Flush()
			switch f.Kind {
			case ResetBody:
				reset(c)
			case StallBody:
				p.stallBody(c)
			default:
				_ = c.Close()
			}
		})
	}
}

// hijack takes over the connection of w and hands it to f.
func (p *Proxy) hijack(w http.ResponseWriter, f func(net.Conn, *bufio.ReadWriter)) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "cannot hijack", http.StatusInternalServerError)
		return
	}
	c, bw, err := hj.Hijack()
	if err != nil {
		return
	}
	f(c, bw)
}

// reset closes c with a TCP RST instead of a FIN.
func reset(c net.Conn) {
	if sc, ok := c.(*sniffConn); ok {
		c = sc.Conn
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// writeHead writes resp's status line and headers with Content-Length n.
func writeHead(bw *bufio.ReadWriter, resp *http.Response, n int) {
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", resp.StatusCode, http.StatusText(resp.StatusCode))
	h := resp.Header.Clone()
	h.Set("Content-Length", fmt.Sprint(n))
	h.Del("Transfer-Encoding")
	_ = h.Write(bw)
	_, _ = io.WriteString(bw, "\r\n")
}

// copyResponse sends resp's status and headers with body.
func copyResponse(w http.ResponseWriter, resp *http.Response, body io.Reader) {
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(flushWriter{w}, body)
}

// flushWriter flushes after every write, so slow pieces go out one by one.
type flushWriter struct{ w http.ResponseWriter }

// Write writes and flushes.
func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if fl, ok := f.w.(http.Flusher); ok {
		fl.Flush()
	}
	return n, err
}

// slowReader returns data in pieces, waiting delay before each.
type slowReader struct {
	data  []byte
	delay time.Duration
}

// Read waits, then returns the next piece.
func (s *slowReader) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	time.Sleep(s.delay)
	n := copy(p[:min(len(p), slowPiece)], s.data)
	s.data = s.data[n:]
	return n, nil
}
