package registrytest

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
)

// Fault is a scripted failure of the registry for the requests that match
// Method and Path: a status of its own (429, 503, or any canned response)
// or a connection broken in the middle of the registry's real response.
type Fault struct {
	// Method matches the request method; "" matches any.
	Method string
	// Path matches URL paths that contain it (a digest, "/manifests/").
	Path string
	// Times is how many matching requests fail; 0 means all of them.
	Times int
	// Status, unless Abort is set, is the response status; Header and Body
	// complete the response, which the registry never sees.
	Status int
	// Header holds extra response headers (Retry-After, Content-Type...).
	Header http.Header
	// Body is the response body sent with Status.
	Body []byte
	// Abort serves the registry's real response but breaks the connection
	// after half of its body (at least one byte short).
	Abort bool
}

// Inject adds a fault; a request is failed by the first fault that matches
// it and has not used up its Times.
func (r *Registry) Inject(f Fault) {
	r.faults.mu.Lock()
	defer r.faults.mu.Unlock()
	r.faults.list = append(r.faults.list, &activeFault{Fault: f})
}

// ClearFaults removes every fault: the registry behaves normally again.
func (r *Registry) ClearFaults() {
	r.faults.mu.Lock()
	defer r.faults.mu.Unlock()
	r.faults.list = nil
}

// activeFault is a fault and how many requests it has failed.
type activeFault struct {
	Fault
	hits int
}

// faulter fails the requests that match an injected fault.
type faulter struct {
	next http.Handler
	mu   sync.Mutex
	list []*activeFault
}

// ServeHTTP serves r, or fails it as its fault says.
func (f *faulter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fault, ok := f.match(r)
	switch {
	case !ok:
		f.next.ServeHTTP(w, r)
	case fault.Abort:
		abort(w, r, f.next)
	default:
		respond(w, fault)
	}
}

// match returns the fault for r, counting the hit.
func (f *faulter) match(r *http.Request) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.list {
		if (a.Method == "" || a.Method == r.Method) && strings.Contains(r.URL.Path, a.Path) &&
			(a.Times == 0 || a.hits < a.Times) {
			a.hits++
			return a.Fault, true
		}
	}
	return Fault{}, false
}

// respond sends the fault's canned response.
func respond(w http.ResponseWriter, f Fault) {
	maps.Copy(w.Header(), f.Header)
	if w.Header().Get("Content-Length") == "" {
		w.Header().Set("Content-Length", strconv.Itoa(len(f.Body)))
	}
	w.WriteHeader(f.Status)
	_, _ = w.Write(f.Body) // refused for HEAD, as it should be
}

// abort serves r into a buffer, sends the status, the headers (with the
// full Content-Length) and half of the body, then breaks the connection.
func abort(w http.ResponseWriter, r *http.Request, next http.Handler) {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	maps.Copy(w.Header(), rec.Header())
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rec.Code)
	_, _ = w.Write(body[:len(body)/2])
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	panic(http.ErrAbortHandler) // the server closes the connection
}
