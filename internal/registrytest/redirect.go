package registrytest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// blobStore plays the object storage of a registry with RedirectBlobs, the
// way registries backed by S3 or a CDN answer blob downloads: the registry
// authorizes a blob GET, then answers 307 with a one-off URL on a second
// loopback server ("storage"), which serves the content without any auth.
type blobStore struct {
	next http.Handler
	base string // "http://127.0.0.1:PORT" of the storage server

	mu    sync.Mutex
	blobs map[string][]byte // storage path → content
	auth  []string          // Authorization headers received by storage
}

// isBlobGET reports whether r downloads a blob (not an upload).
func isBlobGET(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") &&
		!strings.Contains(r.URL.Path, "/blobs/uploads")
}

// ServeHTTP is the registry side: a blob GET that the registry answers with
// its content becomes a redirect to storage; everything else passes.
func (s *blobStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !isBlobGET(r) {
		s.next.ServeHTTP(w, r)
		return
	}
	full := r.Clone(r.Context())
	full.Header.Del("Range") // storage serves ranges of the whole blob
	rec := httptest.NewRecorder()
	s.next.ServeHTTP(rec, full)
	if rec.Code != http.StatusOK {
		maps.Copy(w.Header(), rec.Header())
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	http.Redirect(w, r, s.base+s.put(r.URL.Path, rec.Body.Bytes()), http.StatusTemporaryRedirect)
}

// put stores content under a new unguessable storage path and returns it.
func (s *blobStore) put(regPath string, content []byte) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	p := "/storage/" + hex.EncodeToString(b[:]) + "/" + regPath[strings.LastIndex(regPath, "/")+1:]
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blobs[p] = content
	return p
}

// serveStorage is the storage server: it records Authorization headers and
// serves stored content (with Range support).
func (s *blobStore) serveStorage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if a := r.Header.Get("Authorization"); a != "" {
		s.auth = append(s.auth, a)
	}
	content, ok := s.blobs[r.URL.Path]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(content))
}

// StorageAuth returns the Authorization headers the blob storage server
// received (RedirectBlobs only); a client must send none.
func (r *Registry) StorageAuth() []string {
	if r.store == nil {
		return nil
	}
	r.store.mu.Lock()
	defer r.store.mu.Unlock()
	return append([]string(nil), r.store.auth...)
}
