package registry

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DefaultIdleTimeout is how long a registry request may go without a byte
// sent or received when Options.IdleTimeout is 0.
const DefaultIdleTimeout = 60 * time.Second

// idleTimeout returns the options' idle timeout; 0 means none.
func (o *Options) idleTimeout() time.Duration {
	switch {
	case o.IdleTimeout < 0:
		return 0
	case o.IdleTimeout == 0:
		return DefaultIdleTimeout
	}
	return o.IdleTimeout
}

// watchIdle wraps t in the idle watch, unless it is turned off.
func (o *Options) watchIdle(t http.RoundTripper) http.RoundTripper {
	if o.idleTimeout() <= 0 {
		return t
	}
	return &idleTransport{next: t, idle: o.idleTimeout()}
}

// headerBackstop returns t, when it is an *http.Transport, with its wait
// for an answer's headers (containerd's: 30 s whatever the idle timeout)
// at twice the idle timeout: the idle watch fires first, and the
// transport's own timeout is only a backstop, which a stalled manifest PUT
// once needed (it waited the 30 s out under a 2 s idle timeout). With the
// watch off, t is as it is.
func (o *Options) headerBackstop(t http.RoundTripper) http.RoundTripper {
	ht, ok := t.(*http.Transport)
	if !ok || o.idleTimeout() <= 0 {
		return t
	}
	ht = ht.Clone()
	ht.ResponseHeaderTimeout = 2 * o.idleTimeout()
	return ht
}

// idleTransport fails a request that goes idle bytes-wise: no byte of the
// request body taken by the connection, of the answer's headers or of its
// body for the idle time. The request is cancelled and the caller reads a
// *stallError, a timeout, which the retries (retryTransport, Session.Retry)
// and the resumed downloads (Session.Fetch) handle like a broken
// connection. A registry, proxy or CDN that sends headers and then stops
// sending would otherwise hang the build forever.
type idleTransport struct {
	next http.RoundTripper
	idle time.Duration
}

// RoundTrip sends req under the idle watch.
func (t *idleTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.idle <= 0 {
		return t.next.RoundTrip(req)
	}
	ctx, cancel := context.WithCancelCause(req.Context())
	w := &idleWatch{cancel: cancel, idle: t.idle, req: req}
	w.timer = time.AfterFunc(t.idle, w.fire)
	out := req.WithContext(ctx)
	sending := req.Body != nil && req.Body != http.NoBody
	if sending {
		out.Body = &watchedBody{rc: req.Body, w: w, sending: true}
	}
	resp, err := t.next.RoundTrip(out)
	if err != nil {
		w.stop()
		return nil, w.explain(err, sending)
	}
	if resp.Body == nil || resp.Body == http.NoBody {
		w.stop()
		return resp, nil
	}
	w.progress()
	resp.Body = &watchedBody{rc: resp.Body, w: w}
	return resp, nil
}

// idleWatch is the timer of one request: every byte that moves pushes it
// back; when it fires the request's context is cancelled.
type idleWatch struct {
	cancel context.CancelCauseFunc
	idle   time.Duration
	req    *http.Request
	timer  *time.Timer

	mu    sync.Mutex
	fired bool
	done  bool
}

// fire cancels the stalled request.
func (w *idleWatch) fire() {
	w.mu.Lock()
	if w.done {
		w.mu.Unlock()
		return
	}
	w.fired = true
	w.mu.Unlock()
	w.cancel(fmt.Errorf("registry request idle for %s", w.idle))
}

// progress pushes the timer back after bytes moved.
func (w *idleWatch) progress() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.fired && !w.done {
		w.timer.Reset(w.idle)
	}
}

// stop ends the watch (the body was closed, the request failed) and
// releases the request's context.
func (w *idleWatch) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
	w.timer.Stop()
	w.cancel(context.Canceled)
}

// explain replaces err by a *stallError when the watch fired and the
// caller's own context is still live (a cancelled build stays cancelled).
func (w *idleWatch) explain(err error, sending bool) error {
	w.mu.Lock()
	fired := w.fired
	w.mu.Unlock()
	if !fired || w.req.Context().Err() != nil {
		return err
	}
	return newStallError(w.req, w.idle, sending)
}

// watchedBody is a request or response body whose reads feed the watch.
type watchedBody struct {
	rc      io.ReadCloser
	w       *idleWatch
	sending bool // a request body: the connection reads it to send it
}

// Read reads, pushing the timer back when bytes come.
func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.w.progress()
	}
	switch {
	case err == io.EOF && !b.sending:
		b.w.stop() // the whole answer is in: nothing left to watch
	case err != nil && err != io.EOF:
		err = b.w.explain(err, b.sending)
	}
	return n, err
}

// WriteTo copies the body to dst, pushing the timer back after each write
// (for a request body: bytes the connection took). A body that implements
// io.WriterTo (a streamed upload's chunks) keeps writing its chunks whole.
func (b *watchedBody) WriteTo(dst io.Writer) (int64, error) {
	pw := &progressWriter{w: dst, watch: b.w}
	var n int64
	var err error
	if wt, ok := b.rc.(io.WriterTo); ok {
		n, err = wt.WriteTo(pw)
	} else {
		n, err = io.Copy(pw, struct{ io.Reader }{b.rc})
	}
	switch {
	case err == nil && !b.sending:
		b.w.stop() // the whole answer is in
	case err != nil:
		err = b.w.explain(err, b.sending)
	}
	return n, err
}

// progressWriter pushes a watch's timer back after every write.
type progressWriter struct {
	w     io.Writer
	watch *idleWatch
}

// Write writes p and reports the progress.
func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	if n > 0 {
		p.watch.progress()
	}
	return n, err
}

// Close closes the body; closing the answer ends the watch.
func (b *watchedBody) Close() error {
	err := b.rc.Close()
	if !b.sending {
		b.w.stop()
	}
	return err
}

// stallError is the error of a request that went idle: which registry,
// repository and blob or manifest, and for how long nothing moved. It is
// a timeout (net.Error), so retries and resumes treat it as transient.
type stallError struct {
	host, repo, object string
	idle               time.Duration
	sending            bool
}

// newStallError describes req, or the registry request it was redirected
// from (a blob served by object storage).
func newStallError(req *http.Request, idle time.Duration, sending bool) *stallError {
	orig := req
	for orig.Response != nil && orig.Response.Request != nil {
		orig = orig.Response.Request
	}
	repo, object := describePath(orig.URL.Path, orig.URL.Query().Get("digest"))
	return &stallError{host: orig.URL.Host, repo: repo, object: object, idle: idle, sending: sending}
}

// Error says what stalled.
func (e *stallError) Error() string {
	what := "no data received"
	if e.sending {
		what = "no data sent or answered"
	}
	s := fmt.Sprintf("stalled: %s for %s (registry %s", what, e.idle, e.host)
	if e.repo != "" {
		s += ", repository " + e.repo
	}
	if e.object != "" {
		s += ", " + e.object
	}
	return s + ")"
}

// Timeout reports true: a stall is a timeout.
func (e *stallError) Timeout() bool { return true }

// Temporary reports true (net.Error).
func (e *stallError) Temporary() bool { return true }

// describePath names the repository and the object of a registry API path
// (/v2/REPO/blobs/DIGEST, /v2/REPO/manifests/REF, /v2/REPO/blobs/uploads/…
// with the upload's digest); other paths (a token endpoint) name neither.
func describePath(path, uploadDigest string) (repo, object string) {
	rest, ok := strings.CutPrefix(path, "/v2/")
	if !ok {
		return "", ""
	}
	for _, k := range []struct{ sep, name string }{
		{"/blobs/uploads/", "upload"}, {"/blobs/", "blob"}, {"/manifests/", "manifest"},
		{"/referrers/", "referrers of"}, {"/tags/", "tags"},
	} {
		i := strings.LastIndex(rest, k.sep)
		if i < 0 {
			continue
		}
		repo, ref := rest[:i], rest[i+len(k.sep):]
		switch {
		case k.name == "upload" && uploadDigest != "":
			return repo, "upload of blob " + uploadDigest
		case k.name == "upload", k.name == "tags":
			return repo, k.name
		}
		return repo, k.name + " " + ref
	}
	return strings.TrimSuffix(rest, "/"), ""
}
