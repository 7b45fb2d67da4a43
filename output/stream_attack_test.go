package output_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/output"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/resolve"
	"github.com/ybuild/ybuild/spec"
)

// layersBuild builds n small layers on scratch, sending them to w's
// registry while they are written.
func layersBuild(t *testing.T, ctx context.Context, w output.Writer, n int) (*assemble.Image, error) {
	t.Helper()
	dir := t.TempDir()
	var y strings.Builder
	y.WriteString("apiVersion: ybuild/v1\nname: s\nbase: scratch\nlayers:\n")
	for i := range n {
		name := fmt.Sprintf("f%d.txt", i)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Repeat(name, 1000)), 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&y, "  - files:\n      - {src: %s, dst: /%s}\n", name, name)
	}
	b, err := spec.Parse([]byte(y.String()), "build.yaml", dir, spec.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	base, err := resolve.Open(ctx, b.Base, resolve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return assemble.Build(ctx, b, base, assemble.Options{
		BlobDir: t.TempDir(), Upload: output.Uploader(ctx, []output.Writer{w}, time.Now),
	})
}

// TestStreamedLayersBounded: a registry that takes the streams and never
// answers holds at most the registry options' upload concurrency of them
// (each holds up to 17 MiB of queued chunks and a connection); the other
// layers are left to the push.
func TestStreamedLayersBounded(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	proxy := registrytest.NewProxy(t, reg.Host)
	proxy.Inject(registrytest.ProxyFault{Kind: registrytest.StallRequest, Method: http.MethodPatch, Path: "/blobs/uploads/", Times: 100})
	opts := &registry.Options{IdleTimeout: -1, Concurrency: 2}
	w, err := output.NewRegistryWriter("docker://"+proxy.Host+"/app/stream:1", output.Options{Registry: opts})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := layersBuild(t, ctx, w, 8); err != nil {
		t.Fatal(err)
	}
	if n := proxy.Counter.Count(http.MethodPost, "/blobs/uploads/"); n > 2 {
		t.Errorf("%d streamed uploads begun for 8 layers against a stalled registry, want at most 2 (the upload concurrency)", n)
	}
}

// TestStreamedLayerStalledStart: a registry that never answers the POST
// that opens a stream costs the build no more than a stalled PATCH: the
// layer is written, the stream dropped, the push uploads it.
func TestStreamedLayerStalledStart(t *testing.T) {
	defer output.SetStreamLimits(1, 50*time.Millisecond)()
	reg := registrytest.New(t, registrytest.Options{})
	proxy := registrytest.NewProxy(t, reg.Host)
	proxy.Inject(registrytest.ProxyFault{Kind: registrytest.StallRequest, Method: http.MethodPost, Path: "/blobs/uploads/"})
	w, err := output.NewRegistryWriter("docker://"+proxy.Host+"/app/stream:1", output.Options{Registry: &registry.Options{IdleTimeout: -1}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	img := streamedBuild(t, ctx, w, 12<<20)
	if _, err := w.Write(ctx, img); err != nil {
		t.Fatal(err)
	}
	if proxy.Hits() != 1 {
		t.Fatalf("%d stalled requests, want the one POST", proxy.Hits())
	}
	checkRegistryLayer(t, reg.Host, img)
}
