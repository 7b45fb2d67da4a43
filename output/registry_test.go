package output_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/output"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/resolve"
)

// push writes img to docker://ref.
func push(t *testing.T, img *assemble.Image, ref string, ropts *testOpts) (output.Result, error) {
	t.Helper()
	w, err := output.NewRegistryWriter("docker://"+ref, output.Options{Registry: ropts.registry()})
	if err != nil {
		t.Fatal(err)
	}
	return w.Write(context.Background(), img)
}

// uploads counts blob upload sessions (POST without a successful mount).
func uploads(reg *registrytest.Registry) int {
	n := 0
	for _, r := range reg.Counter.Requests() {
		if r.Method == http.MethodPut && strings.Contains(r.Path, "/blobs/uploads/") {
			n++
		}
	}
	return n
}

// gets counts GETs of any of the blobs.
func gets(reg *registrytest.Registry, ds []digest.Digest) int {
	n := 0
	for _, d := range ds {
		n += reg.Counter.Count(http.MethodGet, "/blobs/"+d.String())
	}
	return n
}

func TestPushSameRegistryMountsLazily(t *testing.T) {
	reg, _ := seedBase(t, registrytest.Options{})
	ropts := &testOpts{CacheDir: t.TempDir()}
	base := openBase(t, reg.Host+"/lib/busybox:1", true, ropts)
	img := buildOn(t, base)
	baseLayers := baseLayerDigests(base)
	reg.Counter.Reset()

	res, err := push(t, img, reg.Host+"/app/hello:1", ropts)
	if err != nil {
		t.Fatal(err)
	}
	if want := reg.Host + "/app/hello:1@" + img.Desc.Digest.String(); res.Ref != want || res.Digest != img.Desc.Digest {
		t.Fatalf("result %+v, want ref %s", res, want)
	}
	if n := gets(reg, baseLayers); n != 0 {
		t.Fatalf("base layers downloaded %d times; they must be mounted", n)
	}
	if n := reg.Counter.Mounts(); n != len(baseLayers) {
		t.Fatalf("mounts = %d, want %d", n, len(baseLayers))
	}
	if n, want := uploads(reg), 1+len(img.Manifests); n != want { // new layer + configs
		t.Fatalf("uploads = %d, want %d: %v", n, want, reg.Counter.Requests())
	}
	in, out := reg.Counter.Bytes()
	t.Logf("same-registry push: %d requests, %d bytes up, %d bytes down, %d mounts", len(reg.Counter.Requests()), in, out, reg.Counter.Mounts())

	// Pull back: same digest, and the tag names the index.
	back := openBase(t, reg.Host+"/app/hello:1", true, &testOpts{})
	if back.Digest != img.Desc.Digest || len(back.Images) != len(img.Manifests) {
		t.Fatalf("pulled %s with %d images, want %s with %d", back.Digest, len(back.Images), img.Desc.Digest, len(img.Manifests))
	}
	for i, m := range img.Manifests {
		if back.Images[i].Desc.Digest != m.Desc.Digest {
			t.Fatalf("image %d: %s, want %s", i, back.Images[i].Desc.Digest, m.Desc.Digest)
		}
	}

	// Pushing again uploads nothing.
	reg.Counter.Reset()
	if _, err := push(t, img, reg.Host+"/app/hello:1", ropts); err != nil {
		t.Fatal(err)
	}
	if n := uploads(reg) + reg.Counter.Count(http.MethodPut, "/manifests/"); n != 0 {
		t.Fatalf("re-push wrote %d blobs or manifests: %v", n, reg.Counter.Requests())
	}
	in, out = reg.Counter.Bytes()
	t.Logf("re-push: %d requests, %d bytes up, %d bytes down", len(reg.Counter.Requests()), in, out)
}

func TestPushOtherRegistryViaCache(t *testing.T) {
	src, _ := seedBase(t, registrytest.Options{})
	dst := registrytest.New(t, registrytest.Options{})
	ropts := &testOpts{CacheDir: t.TempDir()}
	base := openBase(t, src.Host+"/lib/busybox:1", false, ropts)
	img := buildOn(t, base)
	baseLayers := baseLayerDigests(base)
	src.Counter.Reset()

	res, err := push(t, img, dst.Host+"/app/hello:1", ropts)
	if err != nil {
		t.Fatal(err)
	}
	if n := gets(src, baseLayers); n != len(baseLayers) {
		t.Fatalf("source layer GETs = %d, want %d (each once)", n, len(baseLayers))
	}
	if n, want := uploads(dst), len(baseLayers)+2; n != want {
		t.Fatalf("uploads = %d, want %d", n, want)
	}
	_, down := src.Counter.Bytes()
	up, _ := dst.Counter.Bytes()
	t.Logf("cross-registry push: %d bytes down from the source, %d bytes up to the target", down, up)

	// A second target repository: base layers come from the cache.
	src.Counter.Reset()
	if _, err := push(t, img, dst.Host+"/app/other:2", ropts); err != nil {
		t.Fatal(err)
	}
	if reqs := src.Counter.Requests(); len(reqs) != 0 {
		t.Fatalf("second push sent %d requests to the source: %v", len(reqs), reqs)
	}
	back := openBase(t, res.Ref, false, &testOpts{})
	if back.Digest != img.Desc.Digest {
		t.Fatalf("pulled back %s, want %s", back.Digest, img.Desc.Digest)
	}
}

// TestPushOtherRegistryCorruptBase checks that a base layer streamed from
// a source registry that serves wrong bytes fails the push, commits nothing
// at the target and leaves nothing in the cache.
func TestPushOtherRegistryCorruptBase(t *testing.T) {
	src, _ := seedBase(t, registrytest.Options{})
	dst := registrytest.New(t, registrytest.Options{})
	ropts := &testOpts{CacheDir: t.TempDir()}
	base := openBase(t, src.Host+"/lib/busybox:1", false, ropts)
	img := buildOn(t, base)
	bad := baseLayerDigests(base)[0]
	src.Corrupt(bad.String())

	_, err := push(t, img, dst.Host+"/app/hello:1", ropts)
	if !errors.Is(err, imageio.ErrDigestMismatch) {
		t.Fatalf("push with a corrupt source layer: err = %v, want ErrDigestMismatch", err)
	}
	if n := dst.Counter.Count(http.MethodHead, "/blobs/"+bad.String()); n == 0 {
		t.Fatal("the target was never asked for the layer: the test proves nothing")
	}
	if back := openBaseErr(dst.Host+"/app/hello:1", ropts); back == nil {
		t.Fatal("the target has the image after a failed push")
	}
	if b := openBase(t, src.Host+"/lib/busybox:1", false, &testOpts{CacheDir: ropts.CacheDir, Options: registry.Options{Offline: true}}); b == nil {
		t.Fatal("offline reopen failed")
	} else if rc, err := b.Blobs.Open(context.Background(), base.Images[0].Manifest.Layers[0]); err == nil {
		rc.Close()
		t.Fatal("the corrupt layer reached the cache")
	}
}

// openBaseErr opens ref and returns the error (nil when it opened).
func openBaseErr(ref string, ropts *testOpts) error {
	_, err := resolve.Open(context.Background(), ref, ropts.resolve(false))
	return err
}

func TestPushAuth(t *testing.T) {
	reg, _ := seedBase(t, registrytest.Options{Auth: registrytest.Token, Users: map[string]string{"bob": "pa55-Word"}, AnonymousPull: true})
	base := openBase(t, reg.Host+"/lib/busybox:1", false, &testOpts{})
	img := buildOn(t, base)

	bad := registrytest.DockerConfig(t, t.TempDir(), reg.Host, "bob", "not-it-Word")
	_, err := push(t, img, reg.Host+"/app/hello:1", &testOpts{Options: registry.Options{AuthFiles: []string{bad}}})
	if !errors.Is(err, registry.ErrUnauthorized) || !strings.Contains(err.Error(), bad) || strings.Contains(err.Error(), "not-it-Word") {
		t.Fatalf("wrong password: err = %v", err)
	}
	good := registrytest.CredHelper(t, t.TempDir(), "ybpush", reg.Host, "bob", "pa55-Word")
	reg.Counter.Reset()
	res, err := push(t, img, reg.Host+"/app/hello:1", &testOpts{Options: registry.Options{AuthFiles: []string{good}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Digest != img.Desc.Digest || reg.Counter.Mounts() == 0 {
		t.Fatalf("push with helper: %+v, %d mounts", res, reg.Counter.Mounts())
	}
}

func TestPushDigestPinnedDestination(t *testing.T) {
	reg, _ := seedBase(t, registrytest.Options{})
	img := buildOn(t, openBase(t, reg.Host+"/lib/busybox:1", false, nil))
	_, err := push(t, img, reg.Host+"/app/hello@sha256:"+strings.Repeat("0", 64), nil)
	if !errors.Is(err, output.ErrUsage) {
		t.Fatalf("err = %v, want ErrUsage", err)
	}
}
