package registrytest

import (
	"net/http"
	"strings"
	"sync"
)

// corrupter flips the first byte of GET responses for chosen blob digests.
type corrupter struct {
	next http.Handler
	mu   sync.Mutex
	bad  map[string]bool
}

// ServeHTTP serves, corrupting the body of chosen blobs.
func (c *corrupter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	bad := r.Method == http.MethodGet && c.bad[r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]]
	c.mu.Unlock()
	if bad && strings.Contains(r.URL.Path, "/blobs/") {
		w = &flipWriter{ResponseWriter: w}
	}
	c.next.ServeHTTP(w, r)
}

// flipWriter inverts the first body byte.
type flipWriter struct {
	http.ResponseWriter
	done bool
}

func (f *flipWriter) Write(p []byte) (int, error) {
	if !f.done && len(p) > 0 {
		f.done = true
		q := append([]byte(nil), p...)
		q[0] ^= 0xff
		return f.ResponseWriter.Write(q)
	}
	return f.ResponseWriter.Write(p)
}

// Corrupt makes GETs of the blob with this digest return corrupted content.
func (r *Registry) Corrupt(digest string) {
	r.corrupt.mu.Lock()
	defer r.corrupt.mu.Unlock()
	r.corrupt.bad[digest] = true
}
