package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/attest"
	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/internal/testbase"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/remotecache"
)

// cacheRepoSpec copies a directory of sources onto BASE.
const cacheRepoSpec = `apiVersion: ybuild/v1
base: ${BASE}
args: {BASE: oci:base:latest}
created: 2023-04-05T06:07:08Z
layers:
  - name: app
    files:
      - {src: app, dst: /app}
`

// cacheRepoCheckout writes a fresh checkout (new inodes, mtimes and ctimes)
// of the same sources: the spec, an app directory and the base layout.
func cacheRepoCheckout(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"build.yaml": cacheRepoSpec}
	for i := 0; i < 20; i++ {
		files["app/f"+string(rune('a'+i))+".txt"] = strings.Repeat("line of app text\n", 200*(i+1))
	}
	e2eWriteFiles(t, dir, files)
	testbase.Layout(t, filepath.Join(dir, "base"))
	return filepath.Join(dir, "build.yaml")
}

// cacheRepoLayer returns the digest of the top layer of the image in layout dir.
func cacheRepoLayer(t *testing.T, layout string) digest.Digest {
	t.Helper()
	idx := testbase.ReadIndex(t, layout)
	data, err := os.ReadFile(filepath.Join(layout, "blobs", "sha256", idx.Manifests[0].Digest.Encoded()))
	if err != nil {
		t.Fatal(err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m.Layers[len(m.Layers)-1].Digest
}

// cacheSeed is a cache repository on a test registry that holds the
// records of one build of cacheRepoCheckout's sources, and that build's
// image and top layer digests.
type cacheSeed struct {
	reg          *registrytest.Registry
	repo         string
	image, layer digest.Digest
	layout       string // the seed build's output
}

// seedCacheRepo builds a checkout into a new cache repository on a new
// registry (args add build flags).
func seedCacheRepo(t *testing.T, args ...string) cacheSeed {
	t.Helper()
	reg := registrytest.New(t, registrytest.Options{})
	s := cacheSeed{reg: reg, repo: reg.Host + "/ci/cache"}
	out := filepath.Join(t.TempDir(), "seed")
	full := append([]string{"-f", cacheRepoCheckout(t), "--cache-dir", t.TempDir(), "--cache-repo", s.repo, "-o", "oci:" + out}, args...)
	res, _ := buildStderr(t, full...)
	s.image, s.layer, s.layout = res["oci:"+out], cacheRepoLayer(t, out), out
	return s
}

// checkWithoutCacheRepo checks a build that could not use its cache
// repository: the image digest want, and one warning line.
func checkWithoutCacheRepo(t *testing.T, got, want digest.Digest, stderr string) {
	t.Helper()
	if got != want {
		t.Errorf("digest %s, want %s", got, want)
	}
	if n := strings.Count(stderr, "\n"); n != 1 || !strings.Contains(stderr, "warning: cache repository") {
		t.Errorf("stderr %q: want one warning line about the cache repository", stderr)
	}
}

// buildStderr runs a build and returns stdout's results and stderr.
func buildStderr(t *testing.T, args ...string) (map[string]digest.Digest, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	full := append([]string{"build", "--progress", "quiet", "--platform", "linux/amd64"}, args...)
	if code := run(context.Background(), full, &stdout, &stderr); code != exitOK {
		t.Fatalf("ybuild %s: exit %d\n%s", strings.Join(full, " "), code, stderr.String())
	}
	return e2eResults(t, stdout.String()), stderr.String()
}

// TestCacheRepoFreshMachine: a build on another machine (empty cache
// directory, fresh checkout) finds the layer in the cache repository,
// pushes it to the same registry by mounting it (no layer upload), and
// writes a layout with it: the same digests and SBOM as a cold build (its
// file list recorded while the layer is checked).
func TestCacheRepoFreshMachine(t *testing.T) {
	testbase.Busybox(t)
	seed := seedCacheRepo(t)
	reg, cacheRepo, want, layer := seed.reg, seed.repo, seed.image, seed.layer

	reg.Counter.Reset()
	ref := reg.Host + "/team/app:1"
	res, stderr := buildStderr(t, "-f", cacheRepoCheckout(t), "--cache-dir", t.TempDir(), "--cache-repo", cacheRepo, "-o", "docker://"+ref)
	if got := res["docker://"+ref]; got != want {
		t.Fatalf("fresh machine push: %s, want the cold build's %s\n%s", got, want, stderr)
	}
	for _, r := range reg.Counter.Requests() {
		if (r.Method == http.MethodPut || r.Method == http.MethodPatch) && strings.Contains(r.Query, layer.Encoded()) {
			t.Errorf("layer uploaded: %s", r)
		}
	}
	if reg.Counter.Mounts() == 0 {
		t.Errorf("no blob mounted\n%v", reg.Counter.Requests())
	}
	if n := reg.Counter.Count(http.MethodGet, "/ci/cache/blobs/"+layer.String()); n != 1 {
		t.Errorf("layer downloaded %d times from the cache repository, want 1 (to check it)", n)
	}

	out := filepath.Join(t.TempDir(), "out")
	res, _ = buildStderr(t, "-f", cacheRepoCheckout(t), "--cache-dir", t.TempDir(), "--cache-repo", cacheRepo, "-o", "oci:"+out)
	if got := res["oci:"+out]; got != want {
		t.Errorf("fresh machine layout: %s, want %s", got, want)
	}
	checkBlobsDir(t, out)
	cold, fresh := sbomFiles(t, seed.layout, want), sbomFiles(t, out, want)
	if len(cold) != 20 || fmt.Sprintf("%s", fresh) != fmt.Sprintf("%s", cold) {
		t.Errorf("fresh machine SBOM lists the files\n%s\nwant, as the cold build's (20 files),\n%s", fresh, cold)
	}
}

// sbomFiles returns the files the SBOM of image in layout lists, as JSON
// (the document's name is the checkout's directory, which differs).
func sbomFiles(t *testing.T, layout string, image digest.Digest) []json.RawMessage {
	t.Helper()
	data, _ := e2eReferrer(t, layout, image, attest.MediaTypeSPDX)
	var doc struct{ Files []json.RawMessage }
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Files
}

// TestCacheRepoUnusable: an unreachable cache repository, and one that
// denies pushes, each cost one warning line; the build is as without it.
func TestCacheRepoUnusable(t *testing.T) {
	testbase.Busybox(t)
	spec := cacheRepoCheckout(t)
	plain := filepath.Join(t.TempDir(), "plain")
	res, _ := buildStderr(t, "-f", spec, "--cache-dir", t.TempDir(), "-o", "oci:"+plain)
	want := res["oci:"+plain]

	readOnly := registrytest.New(t, registrytest.Options{Auth: registrytest.Token, AnonymousPull: true, Users: map[string]string{"ci": "secret"}})
	for name, repo := range map[string]string{
		"unreachable": "127.0.0.1:1/ci/cache",
		"read-only":   readOnly.Host + "/ci/cache",
	} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			res, stderr := buildStderr(t, "-f", spec, "--cache-dir", t.TempDir(), "--cache-repo", repo, "-o", "oci:"+out)
			checkWithoutCacheRepo(t, res["oci:"+out], want, stderr)
		})
	}
}

// TestCacheRepoHostileRecord: a record under the layer's shape key that
// claims the right DiffID for another blob is checked and ignored; the
// build writes the layer itself and gets the cold digest.
func TestCacheRepoHostileRecord(t *testing.T) {
	testbase.Busybox(t)
	seed := seedCacheRepo(t)
	reg, cacheRepo, want, good := seed.reg, seed.repo, seed.image, seed.layer

	// The record the seed build pushed names the shape and the DiffID.
	c, err := remotecache.New(cacheRepo, &registry.Options{}, func(msg string) { t.Errorf("remotecache: %s", msg) })
	if err != nil {
		t.Fatal(err)
	}
	shape := onlyRecordShape(t, reg.Host)
	mt := ocispec.MediaTypeImageLayerGzip
	_, diffID, ok := c.Lookup(context.Background(), shape, mt)
	if !ok {
		t.Fatal("the seed build pushed no record")
	}
	// Replace it: the same claims for a blob with other content.
	bad := filepath.Join(t.TempDir(), "bad.tar.gz")
	badDesc := writeTarGz(t, bad, "app/evil.txt", "not the app\n")
	badDesc.MediaType = mt
	c.Store(shape, badDesc, diffID, bad)
	c.Push(context.Background(), nil)
	if got, _, _ := c.Lookup(context.Background(), shape, mt); got.Digest != badDesc.Digest {
		t.Fatalf("the hostile record was not stored: %s", got.Digest)
	}

	out := filepath.Join(t.TempDir(), "out")
	res, _ := buildStderr(t, "-f", cacheRepoCheckout(t), "--cache-dir", t.TempDir(), "--cache-repo", cacheRepo, "-o", "oci:"+out)
	if got := res["oci:"+out]; got != want {
		t.Errorf("digest %s, want the cold build's %s", got, want)
	}
	if got := cacheRepoLayer(t, out); got != good {
		t.Errorf("layer %s, want %s", got, good)
	}
	if _, err := os.Stat(filepath.Join(out, "blobs", "sha256", badDesc.Digest.Encoded())); err == nil {
		t.Error("the hostile blob is in the output")
	}
	checkBlobsDir(t, out)
}

// onlyRecordShape lists the cache repository's tags and returns the shape
// key of its one record.
func onlyRecordShape(t *testing.T, host string) string {
	t.Helper()
	tags := registrytest.Tags(t, host, "ci/cache")
	if len(tags) != 1 || !strings.HasPrefix(tags[0], remotecache.TagPrefix) {
		t.Fatalf("cache repository tags %v: want one record", tags)
	}
	return strings.TrimPrefix(tags[0], remotecache.TagPrefix)
}

// writeTarGz writes a gzipped tar holding one file and returns its descriptor.
func writeTarGz(t *testing.T, path, name, body string) ocispec.Descriptor {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte(body))
	tw.Close()
	gz.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return ocispec.Descriptor{Digest: digest.FromBytes(buf.Bytes()), Size: int64(buf.Len())}
}

// TestCacheRepoFromEnvironment: YBUILD_CACHE_REPO names the repository
// when --cache-repo is not given (here an unreachable one: one warning).
func TestCacheRepoFromEnvironment(t *testing.T) {
	testbase.Busybox(t)
	t.Setenv("YBUILD_CACHE_REPO", "127.0.0.1:1/ci/cache")
	out := filepath.Join(t.TempDir(), "out")
	_, stderr := buildStderr(t, "-f", cacheRepoCheckout(t), "--cache-dir", t.TempDir(), "-o", "oci:"+out)
	if !strings.Contains(stderr, "warning: cache repository 127.0.0.1:1/ci/cache") {
		t.Errorf("stderr %q: want the warning about $YBUILD_CACHE_REPO's repository", stderr)
	}
}

// TestCacheRepoLocalHitMounts: after a layer came from the cache
// repository, a later build on the same machine finds it in the local layer
// cache and still pushes it to the cache repository's registry by
// mounting it from there, not by uploading it.
func TestCacheRepoLocalHitMounts(t *testing.T) {
	testbase.Busybox(t)
	seed := seedCacheRepo(t)
	reg, cacheRepo, want, layer := seed.reg, seed.repo, seed.image, seed.layer

	spec, cacheDir := cacheRepoCheckout(t), t.TempDir() // another machine
	first := filepath.Join(t.TempDir(), "first")
	buildStderr(t, "-f", spec, "--cache-dir", cacheDir, "--cache-repo", cacheRepo, "-o", "oci:"+first)

	reg.Counter.Reset()
	ref := reg.Host + "/team/app:2"
	res, stderr := buildStderr(t, "-f", spec, "--cache-dir", cacheDir, "--cache-repo", cacheRepo, "-o", "docker://"+ref)
	if got := res["docker://"+ref]; got != want {
		t.Fatalf("push: %s, want the cold build's %s\n%s", got, want, stderr)
	}
	if n := reg.Counter.Count(http.MethodGet, "/ci/cache/blobs/"+layer.String()); n != 0 {
		t.Errorf("layer downloaded %d times: the local layer cache missed", n)
	}
	for _, r := range reg.Counter.Requests() {
		if (r.Method == http.MethodPut || r.Method == http.MethodPatch) && strings.Contains(r.Query, layer.Encoded()) {
			t.Errorf("layer uploaded: %s", r)
		}
	}
	if reg.Counter.Mounts() == 0 {
		t.Error("no blob mounted")
	}
}
