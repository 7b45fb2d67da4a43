package main

import (
	"crypto/rand"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/ybuild/ybuild/internal/registrytest"
)

// streamSpec builds one layer holding a file of random bytes on scratch.
const streamSpec = `apiVersion: ybuild/v1
base: scratch
created: 2023-04-05T06:07:08Z
layers:
  - name: data
    files:
      - {src: data.bin, dst: /data.bin}
`

// streamCheckout writes the spec and n random bytes as data.bin.
func streamCheckout(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	data := make([]byte, n)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	e2eWriteFiles(t, dir, map[string]string{"build.yaml": streamSpec, "data.bin": string(data)})
	return filepath.Join(dir, "build.yaml")
}

// layoutLayer returns the digest and bytes of the top layer of layout dir.
func layoutLayer(t *testing.T, layout string) (digest.Digest, []byte) {
	t.Helper()
	d := cacheRepoLayer(t, layout)
	data, err := os.ReadFile(filepath.Join(layout, "blobs", "sha256", d.Encoded()))
	if err != nil {
		t.Fatal(err)
	}
	return d, data
}

// registryBlob fetches a blob from an anonymous test registry.
func registryBlob(t *testing.T, host, repo string, d digest.Digest) []byte {
	t.Helper()
	resp, err := http.Get("http://" + host + "/v2/" + repo + "/blobs/" + d.String())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET blob %s: %s", d, resp.Status)
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// uploadBytes sums the request bytes of uploads (PATCH or PUT) to repo's
// upload sessions, by method.
func uploadBytes(reg *registrytest.Registry, repo string) map[string]int64 {
	out := map[string]int64{}
	for _, r := range reg.Counter.Requests() {
		if strings.Contains(r.Path, "/"+repo+"/blobs/uploads/") {
			out[r.Method] += r.BytesIn
		}
	}
	return out
}

// putBytes returns the request bytes of the PUTs that committed blob d.
func putBytes(reg *registrytest.Registry, d digest.Digest) int64 {
	var n int64
	for _, r := range reg.Counter.Requests() {
		if r.Method == http.MethodPut && strings.Contains(r.Query, url.QueryEscape(d.String())) {
			n += r.BytesIn
		}
	}
	return n
}

// TestPushStreamsNewLayer: a cold push sends the new layer while it is
// compressed, in one streamed PATCH, and commits it with its digest: the
// registry then holds exactly the layer a layout build writes, the push
// sends it once and no whole-blob PUT follows. Token auth: the stream goes
// through the same authorizer as every other request.
func TestPushStreamsNewLayer(t *testing.T) {
	spec := streamCheckout(t, 3<<20)
	layout := filepath.Join(t.TempDir(), "layout")
	res, _ := buildStderr(t, "-f", spec, "--cache-dir", t.TempDir(), "-o", "oci:"+layout)
	wantLayer, wantBytes := layoutLayer(t, layout)

	reg := registrytest.New(t, registrytest.Options{})
	dest := "docker://" + reg.Host + "/app/stream:1"
	got, _ := buildStderr(t, "-f", spec, "--cache-dir", t.TempDir(), "-o", dest)
	if got[dest] != res["oci:"+layout] {
		t.Errorf("pushed digest %s, want the layout's %s", got[dest], res["oci:"+layout])
	}
	up := uploadBytes(reg, "app/stream")
	if up["PATCH"] != int64(len(wantBytes)) {
		t.Errorf("streamed %d bytes in PATCH requests, want the layer's %d (uploads: %v)", up["PATCH"], len(wantBytes), up)
	}
	if n := putBytes(reg, wantLayer); n != 0 {
		t.Errorf("the PUT committing the layer sent %d bytes: the layer went up twice", n)
	}
	if b := registryBlob(t, reg.Host, "app/stream", wantLayer); string(b) != string(wantBytes) {
		t.Error("the registry's layer differs from the layout's")
	}
}

// TestPushStreamWithToken: the streamed upload authenticates like every
// other request (token auth, credentials from the config file).
func TestPushStreamWithToken(t *testing.T) {
	spec := streamCheckout(t, 1<<20)
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.Token, Users: map[string]string{"ci": "s3cret"}})
	auth := registrytest.DockerConfig(t, t.TempDir(), reg.Host, "ci", "s3cret")
	dest := "docker://" + reg.Host + "/app/token:1"
	buildStderr(t, "-f", spec, "--cache-dir", t.TempDir(), "--authfile", auth, "-o", dest)
	if up := uploadBytes(reg, "app/token"); up["PATCH"] < 1<<20 {
		t.Errorf("uploads %v: want the layer streamed in a PATCH", up)
	}
}

// TestPushStreamFallback: when the stream breaks (the registry resets the
// PATCH; output's tests cover a stalled one), the push
// drops the stream and uploads the finished layer whole: the same image.
func TestPushStreamFallback(t *testing.T) {
	cases := []struct {
		name  string
		fault registrytest.ProxyFault
		size  int
	}{
		{"reset", registrytest.ProxyFault{Kind: registrytest.ResetRequest, Method: http.MethodPatch, Path: "/blobs/uploads/", After: 64 << 10}, 2 << 20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			spec := streamCheckout(t, c.size)
			layout := filepath.Join(t.TempDir(), "layout")
			res, _ := buildStderr(t, "-f", spec, "--cache-dir", t.TempDir(), "-o", "oci:"+layout)
			wantLayer, wantBytes := layoutLayer(t, layout)

			reg := registrytest.New(t, registrytest.Options{})
			proxy := registrytest.NewProxy(t, reg.Host)
			proxy.Inject(c.fault)
			dest := "docker://" + proxy.Host + "/app/fallback:1"
			got, _ := buildStderr(t, "-f", spec, "--cache-dir", t.TempDir(), "-o", dest)
			if got[dest] != res["oci:"+layout] {
				t.Errorf("pushed digest %s, want the layout's %s", got[dest], res["oci:"+layout])
			}
			if b := registryBlob(t, reg.Host, "app/fallback", wantLayer); string(b) != string(wantBytes) {
				t.Error("the registry's layer differs from the layout's")
			}
			if n := putBytes(reg, wantLayer); n != int64(len(wantBytes)) {
				t.Errorf("the PUT committing the layer sent %d bytes, want the whole layer (%d) after the stream failed", n, len(wantBytes))
			}
		})
	}
}
