package registrytest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Request is one recorded request.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is the URL path.
	Path string
	// Query is the raw query.
	Query string
	// Range is the request's Range header ("" for none).
	Range string
	// Status is the response status.
	Status int
	// BytesIn counts request body bytes (uploads).
	BytesIn int64
	// BytesOut counts response body bytes (downloads).
	BytesOut int64
}

// String returns "METHOD PATH?QUERY STATUS".
func (r Request) String() string {
	q := ""
	if r.Query != "" {
		q = "?" + r.Query
	}
	return fmt.Sprintf("%s %s%s %d", r.Method, r.Path, q, r.Status)
}

// Counter is an http.Handler that records requests before passing them on.
type Counter struct {
	next http.Handler

	mu       sync.Mutex
	reqs     []Request
	inflight int
	idle     chan struct{} // closed when inflight drops to 0
}

// settle bounds how long Requests waits for requests still being served.
const settle = 5 * time.Second

// NewCounter wraps next.
func NewCounter(next http.Handler) *Counter { return &Counter{next: next} }

// ServeHTTP records the request and serves it.
func (c *Counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body := &countReader{r: r.Body}
	r.Body = body
	cw := &countWriter{ResponseWriter: w, status: http.StatusOK}
	c.begin()
	defer c.end(Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Range: r.Header.Get("Range")}, body, cw) // also on abort panics
	c.next.ServeHTTP(cw, r)
}

// end records a served request and counts it as no longer in flight.
func (c *Counter) end(req Request, body *countReader, cw *countWriter) {
	req.Status, req.BytesIn, req.BytesOut = cw.status, body.n, cw.n
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reqs = append(c.reqs, req)
	c.inflight--
	if c.inflight == 0 {
		close(c.idle)
	}
}

// begin counts a request as in flight.
func (c *Counter) begin() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inflight == 0 {
		c.idle = make(chan struct{})
	}
	c.inflight++
}

// Requests returns the requests recorded so far. A client can read a whole
// response before the handler returns, so it first waits (up to a few
// seconds) for requests still being served to be recorded.
func (c *Counter) Requests() []Request {
	c.mu.Lock()
	idle := c.idle
	busy := c.inflight > 0
	c.mu.Unlock()
	if busy {
		select {
		case <-idle:
		case <-time.After(settle):
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Request(nil), c.reqs...)
}

// Reset forgets the recorded requests.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reqs = nil
}

// Count returns how many requests had method (any if "") and a path
// containing sub.
func (c *Counter) Count(method, sub string) int {
	n := 0
	for _, r := range c.Requests() {
		if (method == "" || r.Method == method) && strings.Contains(r.Path, sub) {
			n++
		}
	}
	return n
}

// Bytes returns the total bytes received (uploaded) and sent (downloaded).
func (c *Counter) Bytes() (in, out int64) {
	for _, r := range c.Requests() {
		in += r.BytesIn
		out += r.BytesOut
	}
	return in, out
}

// Mounts returns the cross-repository mount requests that succeeded (201).
func (c *Counter) Mounts() int {
	n := 0
	for _, r := range c.Requests() {
		if r.Method == http.MethodPost && strings.Contains(r.Query, "mount=") && r.Status == http.StatusCreated {
			n++
		}
	}
	return n
}

// countReader counts bytes read from a request body.
type countReader struct {
	r io.ReadCloser
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countReader) Close() error { return c.r.Close() }

// countWriter records the status and counts response bytes.
type countWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (w *countWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *countWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

// Flush passes flushes on.
func (w *countWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack hands over the connection (the fault-injecting proxy breaks it).
func (w *countWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}
