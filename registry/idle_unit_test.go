package registry

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// chunkBody is a request body that writes its chunks whole through
// io.WriterTo, as a streamed upload's queue does, and records that it did.
type chunkBody struct {
	chunks  []string
	wroteTo bool
}

// Read is never wanted: the transport should use WriteTo.
func (c *chunkBody) Read(p []byte) (int, error) {
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	c.chunks[0] = c.chunks[0][n:]
	if c.chunks[0] == "" {
		c.chunks = c.chunks[1:]
	}
	return n, nil
}

// WriteTo writes every chunk.
func (c *chunkBody) WriteTo(w io.Writer) (int64, error) {
	c.wroteTo = true
	var n int64
	for _, s := range c.chunks {
		k, err := io.WriteString(w, s)
		n += int64(k)
		if err != nil {
			return n, err
		}
	}
	c.chunks = nil
	return n, nil
}

// TestIdleWatchKeepsWriterTo: the idle watch wraps request bodies without
// hiding io.WriterTo, so a streamed upload still writes its chunks whole
// (and every byte arrives).
func TestIdleWatchKeepsWriterTo(t *testing.T) {
	var got bytes.Buffer
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(&got, r.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	body := &chunkBody{chunks: []string{"one,", "two,", strings.Repeat("x", 100<<10)}}
	req, err := http.NewRequest(http.MethodPatch, srv.URL+"/v2/app/blobs/uploads/u", body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = -1
	client := &http.Client{Transport: &idleTransport{next: http.DefaultTransport, idle: time.Minute}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !body.wroteTo || got.Len() != 8+100<<10 || !strings.HasPrefix(got.String(), "one,two,") {
		t.Fatalf("WriteTo used: %v; the server got %d bytes", body.wroteTo, got.Len())
	}
}
