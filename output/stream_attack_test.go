package output_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

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
// that opens a stream does not hold the layer writer: Begin returns at
// once (the session is opened in the background), and the writes drop the
// stream after the wait budget, as for a stalled PATCH.
func TestStreamedLayerStalledStart(t *testing.T) {
	defer output.SetStreamLimits(1, 50*time.Millisecond)()
	reg := registrytest.New(t, registrytest.Options{})
	proxy := registrytest.NewProxy(t, reg.Host)
	proxy.Inject(registrytest.ProxyFault{Kind: registrytest.StallRequest, Method: http.MethodPost, Path: "/blobs/uploads/"})
	w, err := output.NewRegistryWriter("docker://"+proxy.Host+"/app/stream:1", output.Options{Registry: &registry.Options{IdleTimeout: -1}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	up := output.Uploader(ctx, []output.Writer{w}, time.Now)
	u := up.Begin(ctx)
	if u == nil {
		t.Fatal("no upload began: Begin waited for the stalled POST")
	}
	chunk := make([]byte, 1<<20)
	for range 4 {
		if _, err := u.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	u.Abort()
	if ctx.Err() != nil {
		t.Fatal("the writes waited for the stalled POST")
	}
}

// TestStreamedLayerAuth: against a registry behind TLS with token and with
// Basic authentication, the layer still goes up while it is written (the
// POST's 401 challenge answered through the host's authorizer, the token
// reused for the PATCH and the PUT), and the push only checks it.
func TestStreamedLayerAuth(t *testing.T) {
	for name, auth := range map[string]registrytest.Auth{"token": registrytest.Token, "basic": registrytest.Basic} {
		t.Run(name, func(t *testing.T) {
			reg := registrytest.New(t, registrytest.Options{Auth: auth, TLS: true, Users: map[string]string{"ci": "s3cret"}})
			cfg := registrytest.DockerConfig(t, t.TempDir(), reg.Host, "ci", "s3cret")
			opts := &registry.Options{AuthFiles: []string{cfg}, CAFiles: []string{reg.CAFile}}
			w, err := output.NewRegistryWriter("docker://"+reg.Host+"/app/stream:1", output.Options{Registry: opts})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			img := streamedBuild(t, ctx, w, 2<<20)
			if _, err := w.Write(ctx, img); err != nil {
				t.Fatal(err)
			}
			checkStreamed(t, reg, img)
		})
	}
}

// TestStreamedLayerRefused: whatever the registry answers the stream (a
// 401 to the PATCH as if a token expired, a 500 to the POST, a 404 to the
// PATCH, a 500 to the committing PUT, a connection reset mid-PATCH), the
// push uploads the layer and the registry holds it.
func TestStreamedLayerRefused(t *testing.T) {
	for name, f := range map[string]registrytest.ProxyFault{
		"patch 401":   {Kind: registrytest.Status, Status: http.StatusUnauthorized, Method: http.MethodPatch, Path: "/blobs/uploads/"},
		"patch 404":   {Kind: registrytest.Status, Status: http.StatusNotFound, Method: http.MethodPatch, Path: "/blobs/uploads/"},
		"post 500":    {Kind: registrytest.Status, Status: http.StatusInternalServerError, Method: http.MethodPost, Path: "/blobs/uploads/", Times: 5},
		"put 500":     {Kind: registrytest.Status, Status: http.StatusInternalServerError, Method: http.MethodPut, Path: "/blobs/uploads/"},
		"patch reset": {Kind: registrytest.ResetRequest, Method: http.MethodPatch, Path: "/blobs/uploads/", After: 64 << 10},
	} {
		t.Run(name, func(t *testing.T) {
			reg := registrytest.New(t, registrytest.Options{})
			proxy := registrytest.NewProxy(t, reg.Host)
			proxy.Inject(f)
			w, err := output.NewRegistryWriter("docker://"+proxy.Host+"/app/stream:1", output.Options{Registry: &registry.Options{RetryBackoff: time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			img := streamedBuild(t, ctx, w, 2<<20)
			if _, err := w.Write(ctx, img); err != nil {
				t.Fatal(err)
			}
			if proxy.Hits() == 0 {
				t.Fatal("the fault was never hit")
			}
			checkRegistryLayer(t, reg.Host, img)
		})
	}
}

// dataBuild builds one layer holding data on scratch, sending it through
// up (nil: none).
func dataBuild(t *testing.T, ctx context.Context, data []byte, up assemble.Uploader) *assemble.Image {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "data.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	yaml := "apiVersion: ybuild/v1\nname: s\nbase: scratch\nfiles:\n  - {src: data.bin, dst: /data.bin}\n"
	b, err := spec.Parse([]byte(yaml), "build.yaml", dir, spec.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	base, err := resolve.Open(ctx, b.Base, resolve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	img, err := assemble.Build(ctx, b, base, assemble.Options{BlobDir: t.TempDir(), Upload: up})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// seedBlob uploads data to the repository repo of the registry at host in
// one POST and PUT.
func seedBlob(t *testing.T, host, repo string, data []byte) {
	t.Helper()
	resp, err := http.Post("http://"+host+"/v2/"+repo+"/blobs/uploads/", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Fatal(err)
	}
	q := loc.Query()
	q.Set("digest", digest.FromBytes(data).String())
	loc.RawQuery = q.Encode()
	req, err := http.NewRequest(http.MethodPut, loc.String(), bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("seed blob: %s", resp.Status)
	}
}

// TestStreamedLayerCommitLies: a registry that answers the stream's
// committing PUT with 201 but stores nothing does not make the push skip
// the layer: the push's HEAD, not the stream's answer, says whether the
// registry holds it, and the pushed image is whole.
func TestStreamedLayerCommitLies(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{})
	proxy := registrytest.NewProxy(t, reg.Host)
	data := make([]byte, 1<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	plain := dataBuild(t, ctx, data, nil)
	seedBlob(t, reg.Host, "app/stream", plain.Bytes(plain.Manifests[0].Config)) // the push's only PUT is the layer's
	proxy.Inject(registrytest.ProxyFault{Kind: registrytest.Status, Status: http.StatusCreated, Method: http.MethodPut, Path: "/blobs/uploads/"})
	w, err := output.NewRegistryWriter("docker://"+proxy.Host+"/app/stream:1", output.Options{})
	if err != nil {
		t.Fatal(err)
	}
	img := dataBuild(t, ctx, data, output.Uploader(ctx, []output.Writer{w}, time.Now))
	if img.Desc.Digest != plain.Desc.Digest {
		t.Fatalf("streamed build %s, want %s", img.Desc.Digest, plain.Desc.Digest)
	}
	if _, err := w.Write(ctx, img); err != nil {
		t.Fatal(err)
	}
	if proxy.Hits() != 1 {
		t.Fatalf("%d lies told, want the stream's commit", proxy.Hits())
	}
	checkRegistryLayer(t, reg.Host, img)
}

// TestStreamedLayerTwoPlatforms: two platforms of a scratch build write
// the same layer blob from two sources (two writes, two streams, the
// second dropped when the first is pending); the pushed index is whole.
// (Whether the second write finds the first still pending is timing: a
// blob committed twice is only bytes sent twice.)
func TestStreamedLayerTwoPlatforms(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{})
	w, err := output.NewRegistryWriter("docker://"+reg.Host+"/app/stream:1", output.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	data := make([]byte, 1<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	for _, arch := range []string{"amd64", "arm64"} { // two sources, one content: two writes of one blob
		if err := os.WriteFile(filepath.Join(dir, arch+".bin"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	yaml := "apiVersion: ybuild/v1\nname: s\nbase: scratch\nplatforms: [linux/amd64, linux/arm64]\nfiles:\n  - {src: \"${TARGETARCH}.bin\", dst: /data.bin}\n"
	b, err := spec.Parse([]byte(yaml), "build.yaml", dir, spec.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	base, err := resolve.Open(ctx, b.Base, resolve.Options{Platforms: []ocispec.Platform{
		{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}})
	if err != nil {
		t.Fatal(err)
	}
	img, err := assemble.Build(ctx, b, base, assemble.Options{BlobDir: t.TempDir(), ForceIndex: true,
		Upload: output.Uploader(ctx, []output.Writer{w}, time.Now)})
	if err != nil {
		t.Fatal(err)
	}
	if len(img.Manifests) != 2 || img.Manifests[0].Layers[0].Digest != img.Manifests[1].Layers[0].Digest {
		t.Fatalf("want two platforms sharing their layer: %d manifests %+v", len(img.Manifests), img.Manifests)
	}
	if _, err := w.Write(ctx, img); err != nil {
		t.Fatal(err)
	}
	for _, m := range img.Manifests {
		req, err := http.NewRequest(http.MethodHead, "http://"+reg.Host+"/v2/app/stream/manifests/"+m.Desc.Digest.String(), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept", ocispec.MediaTypeImageManifest)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("manifest %s: %s", m.Desc.Digest, resp.Status)
		}
	}
	checkRegistryLayer(t, reg.Host, img)
}

// TestStreamedLayerUnanswered: a registry that reads the whole stream and
// then never answers the PATCH holds the push only until the idle timeout
// ends the stream's request; the push then uploads the layer itself.
func TestStreamedLayerUnanswered(t *testing.T) {
	fault := registrytest.ProxyFault{Kind: registrytest.StallRequest, Method: http.MethodPatch, Path: "/blobs/uploads/", After: 64 << 20}
	pushThroughPatchFault(t, fault, &registry.Options{IdleTimeout: time.Second}, 2<<20)
}

// TestStreamedLayerSeveralTags: --push with several tags makes one
// registry writer per tag; the first streams the layer, and neither push
// uploads it again.
func TestStreamedLayerSeveralTags(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{})
	var ws []output.Writer
	for _, tag := range []string{"1", "2"} {
		w, err := output.NewRegistryWriter("docker://"+reg.Host+"/app/stream:"+tag, output.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	data := make([]byte, 1<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	img := dataBuild(t, ctx, data, output.Uploader(ctx, ws, time.Now))
	for _, w := range ws {
		if _, err := w.Write(ctx, img); err != nil {
			t.Fatal(err)
		}
	}
	checkRegistryLayer(t, reg.Host, img)
	checkStreamed(t, reg, img)
}
