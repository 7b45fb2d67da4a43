package output_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/output"
	"github.com/ybuild/ybuild/registry"
)

// streamedBuild builds one layer of n random bytes on scratch, sending it
// to w's registry while it is written, and returns the image.
func streamedBuild(t *testing.T, ctx context.Context, w output.Writer, n int) *assemble.Image {
	t.Helper()
	data := make([]byte, n)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	return dataBuild(t, ctx, data, output.Uploader(ctx, []output.Writer{w}, time.Now))
}

// layerUploads returns the bytes the registry received for blob d: in
// PATCH requests to upload sessions, and in the PUT that committed it.
func layerUploads(reg *registrytest.Registry, d digest.Digest) (patched, put int64) {
	for _, r := range reg.Counter.Requests() {
		switch {
		case r.Method == http.MethodPatch && strings.Contains(r.Path, "/blobs/uploads/"):
			patched += r.BytesIn
		case r.Method == http.MethodPut && strings.Contains(r.Query, url.QueryEscape(d.String())):
			put += r.BytesIn
		}
	}
	return patched, put
}

// checkStreamed fails unless the image's new layer reached the registry
// whole in the PATCH of its streamed upload, and nothing of it in a PUT
// (its committing one, or a push's upload).
func checkStreamed(t *testing.T, reg *registrytest.Registry, img *assemble.Image) {
	t.Helper()
	d := newLayer(t, img)
	if patched, put := layerUploads(reg, d.Digest); patched != d.Size || put != 0 {
		t.Errorf("layer of %d bytes: %d streamed, %d in a PUT; want it all streamed, once", d.Size, patched, put)
	}
}

// checkRegistryLayer fetches the image's new layer from the registry and
// compares it with the local blob.
func checkRegistryLayer(t *testing.T, host string, img *assemble.Image) {
	t.Helper()
	d := newLayer(t, img)
	resp, err := http.Get("http://" + host + "/v2/app/stream/blobs/" + d.Digest.String())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(img.Path(d))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, want) {
		t.Fatalf("registry layer: %s, %d bytes; want the local blob's %d bytes", resp.Status, len(got), len(want))
	}
}

// TestStreamedLayer: with room to queue, the new layer goes up in one
// PATCH while it is written, and the push only commits nothing more.
func TestStreamedLayer(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	w, err := output.NewRegistryWriter("docker://"+reg.Host+"/app/stream:1", output.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	img := streamedBuild(t, ctx, w, 2<<20)
	if _, err := w.Write(ctx, img); err != nil {
		t.Fatal(err)
	}
	checkRegistryLayer(t, reg.Host, img)
	checkStreamed(t, reg, img)
}

// TestStreamedLayerStalled: a registry that stops reading the stream
// costs the build at most the wait budget; the stream is dropped and the
// push uploads the finished layer whole.
func TestStreamedLayerStalled(t *testing.T) {
	defer output.SetStreamLimits(1, 50*time.Millisecond)()
	fault := registrytest.ProxyFault{Kind: registrytest.StallRequest, Method: http.MethodPatch, Path: "/blobs/uploads/"}
	pushThroughPatchFault(t, fault, &registry.Options{}, 12<<20)
}

// pushThroughPatchFault builds a layer of size random bytes, streaming it
// to a registry behind a proxy that injects fault into the stream's PATCH,
// and pushes it: the push must succeed with the layer uploaded whole by
// the committing PUT, and the registry then holds the local blob.
func pushThroughPatchFault(t *testing.T, fault registrytest.ProxyFault, opts *registry.Options, size int) {
	t.Helper()
	reg := registrytest.New(t, registrytest.Options{})
	proxy := registrytest.NewProxy(t, reg.Host)
	proxy.Inject(fault)
	w, err := output.NewRegistryWriter("docker://"+proxy.Host+"/app/stream:1", output.Options{Registry: opts})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	data := make([]byte, size)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	up := afterFault{Uploader: output.Uploader(ctx, []output.Writer{w}, time.Now), t: t, proxy: proxy}
	img := dataBuild(t, ctx, data, up)
	if _, err := w.Write(ctx, img); err != nil {
		t.Fatal(err)
	}
	if proxy.Hits() != 1 {
		t.Fatalf("%d faulty requests, want the one PATCH", proxy.Hits())
	}
	checkRegistryLayer(t, reg.Host, img)
	d := newLayer(t, img)
	if _, put := layerUploads(reg, d.Digest); put != d.Size {
		t.Errorf("the committing PUT sent %d bytes, want the whole layer (%d)", put, d.Size)
	}
}

// afterFault is an Uploader whose uploads hold their first write until
// the proxy's fault has been hit. The stream opens its upload (POST, then
// the PATCH) in the background, and on a loaded machine the layer writer
// could spend the stream's whole wait budget before the PATCH reached the
// proxy: the stream would be dropped for its slow start, the fault never
// hit, and the test would not test the fault.
type afterFault struct {
	assemble.Uploader
	t     *testing.T
	proxy *registrytest.Proxy
}

// Begin begins the upload, held until the fault is hit.
func (a afterFault) Begin(ctx context.Context) assemble.Upload {
	u := a.Uploader.Begin(ctx)
	if u == nil {
		return nil
	}
	return &heldUpload{Upload: u, t: a.t, proxy: a.proxy}
}

// heldUpload is an upload of afterFault.
type heldUpload struct {
	assemble.Upload
	t     *testing.T
	proxy *registrytest.Proxy
	hit   bool
}

// Write waits (30 s at most) for the fault to be hit, then writes p.
func (u *heldUpload) Write(p []byte) (int, error) {
	for deadline := time.Now().Add(30 * time.Second); !u.hit; time.Sleep(time.Millisecond) {
		u.hit = u.proxy.Hits() > 0
		if !u.hit && time.Now().After(deadline) {
			u.t.Error("the stream's request never reached the faulty proxy")
			u.hit = true
		}
	}
	return u.Upload.Write(p)
}

// TestStreamedLayerFailedBuild: a layer that fails to write drops its
// stream: nothing is committed in the registry.
func TestStreamedLayerFailedBuild(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	w, err := output.NewRegistryWriter("docker://"+reg.Host+"/app/stream:1", output.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	up := output.Uploader(context.Background(), []output.Writer{w}, time.Now)
	if u := up.Begin(ctx); u != nil {
		t.Fatal("an upload began under a cancelled context")
	}
	u := up.Begin(context.Background())
	if u == nil {
		t.Fatal("no upload began")
	}
	if _, err := u.Write([]byte("half a layer")); err != nil {
		t.Fatal(err)
	}
	u.Abort()
	for _, r := range reg.Counter.Requests() {
		if r.Method == http.MethodPut {
			t.Errorf("%s after an aborted stream", r)
		}
	}
}
