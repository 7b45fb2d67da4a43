package resolve_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/internal/testbase"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/resolve"
)

// seeded starts an anonymous plain-HTTP registry holding the two-platform
// busybox test base at HOST/lib/busybox:1.
func seeded(t *testing.T, opts registrytest.Options) (*registrytest.Registry, testbase.Info, ocispec.Descriptor) {
	t.Helper()
	reg := registrytest.New(t, opts)
	dir := t.TempDir()
	info := testbase.Layout(t, dir)
	top := reg.PushLayout(t, dir, testbase.Ref, reg.Host+"/lib/busybox:1")
	reg.Counter.Reset()
	return reg, info, top
}

func TestRegistryPullByTagAndDigest(t *testing.T) {
	reg, info, top := seeded(t, registrytest.Options{})
	ctx := context.Background()
	ropts := resolve.Options{CacheDir: t.TempDir()}
	refs := []string{
		reg.Host + "/lib/busybox:1",
		reg.Host + "/lib/busybox@" + top.Digest.String(),
		reg.Host + "/lib/busybox:1@" + top.Digest.String(),
	}
	for _, ref := range refs {
		t.Run(ref[len(reg.Host):], func(t *testing.T) {
			b, err := resolve.Open(ctx, ref, ropts)
			if err != nil {
				t.Fatal(err)
			}
			if b.Digest != top.Digest || !b.IsIndex || len(b.Images) != 1 {
				t.Fatalf("got digest %s index %v images %d, want %s, index, 1", b.Digest, b.IsIndex, len(b.Images), top.Digest)
			}
			want := info.Image(t, "linux/amd64")
			if b.Images[0].Desc.Digest != want.Manifest.Digest || string(b.Images[0].Config) != string(want.ConfigJSON) {
				t.Fatalf("amd64 image: got manifest %s, want %s", b.Images[0].Desc.Digest, want.Manifest.Digest)
			}
			if !strings.HasPrefix(b.Name, reg.Host+"/lib/busybox") {
				t.Fatalf("Name = %q", b.Name)
			}
		})
	}
}

func TestRegistryPlatforms(t *testing.T) {
	reg, info, _ := seeded(t, registrytest.Options{})
	ctx := context.Background()
	ref := reg.Host + "/lib/busybox:1"
	all, err := resolve.Open(ctx, ref, resolve.Options{AllPlatforms: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Images) != 2 { // the attestation manifest is skipped
		t.Fatalf("all platforms: %d images, want 2", len(all.Images))
	}
	arm := ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	b, err := resolve.Open(ctx, ref, resolve.Options{Platforms: []ocispec.Platform{arm}})
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Images[0].Desc.Digest; got != info.Image(t, "linux/arm64/v8").Manifest.Digest {
		t.Fatalf("arm64 manifest %s", got)
	}
	s390 := ocispec.Platform{OS: "linux", Architecture: "s390x"}
	_, err = resolve.Open(ctx, ref, resolve.Options{Platforms: []ocispec.Platform{s390}})
	if !errors.Is(err, resolve.ErrNoMatchingPlatform) {
		t.Fatalf("s390x: err = %v, want ErrNoMatchingPlatform", err)
	}
}

func TestRegistryLazyVerifiedCachedLayers(t *testing.T) {
	reg, info, top := seeded(t, registrytest.Options{})
	ctx := context.Background()
	ropts := resolve.Options{CacheDir: t.TempDir()}
	ref := reg.Host + "/lib/busybox@" + top.Digest.String()
	b, err := resolve.Open(ctx, ref, ropts)
	if err != nil {
		t.Fatal(err)
	}
	_, down := reg.Counter.Bytes()
	t.Logf("first open (pinned, amd64): %d requests, %d bytes down (manifests and config only)", len(reg.Counter.Requests()), down)
	layer := info.Image(t, "linux/amd64").Layers[0]
	if n := reg.Counter.Count(http.MethodGet, layer.Digest.Encoded()); n != 0 {
		t.Fatalf("Open fetched the layer %d times; layers must be lazy", n)
	}
	readAll(t, b.Blobs, layer)
	readAll(t, b.Blobs, layer) // second read from the cache
	if n := reg.Counter.Count(http.MethodGet, layer.Digest.Encoded()); n != 1 {
		t.Fatalf("layer GETs = %d, want 1 (cached after the first)", n)
	}
	if p, ok := b.Blobs.(resolve.Pather); !ok || p.Path(layer) == "" {
		t.Fatal("cached layer has no path")
	}

	// A rebuild with a digest-pinned base makes no request at all.
	reg.Counter.Reset()
	if _, err := resolve.Open(ctx, ref, ropts); err != nil {
		t.Fatal(err)
	}
	if reqs := reg.Counter.Requests(); len(reqs) != 0 {
		t.Fatalf("pinned rebuild sent %d requests: %v", len(reqs), reqs)
	}
	// A tag costs one HEAD.
	if _, err := resolve.Open(ctx, reg.Host+"/lib/busybox:1", ropts); err != nil {
		t.Fatal(err)
	}
	reg.Counter.Reset()
	if _, err := resolve.Open(ctx, reg.Host+"/lib/busybox:1", ropts); err != nil {
		t.Fatal(err)
	}
	if reqs := reg.Counter.Requests(); len(reqs) != 1 || reqs[0].Method != http.MethodHead {
		t.Fatalf("tag rebuild requests: %v, want one HEAD", reqs)
	}
	_, down = reg.Counter.Bytes()
	t.Logf("rebuild by tag: 1 HEAD, %d bytes down; by digest: 0 requests", down)
}

func TestRegistryOffline(t *testing.T) {
	reg, info, _ := seeded(t, registrytest.Options{})
	ctx := context.Background()
	cache := t.TempDir()
	ref := reg.Host + "/lib/busybox:1"
	off := resolve.Options{CacheDir: cache, Registry: &registry.Options{Offline: true}}
	_, err := resolve.Open(ctx, ref, off)
	if !errors.Is(err, registry.ErrOffline) || !strings.Contains(err.Error(), cache) {
		t.Fatalf("empty cache offline: err = %v, want registry.ErrOffline naming the cache", err)
	}
	if _, err := resolve.Open(ctx, ref, resolve.Options{CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	reg.Counter.Reset()
	b, err := resolve.Open(ctx, ref, off)
	if err != nil {
		t.Fatalf("offline after an online build: %v", err)
	}
	layer := info.Image(t, "linux/amd64").Layers[0]
	_, err = b.Blobs.Open(ctx, layer)
	if !errors.Is(err, registry.ErrOffline) || !strings.Contains(err.Error(), layer.Digest.String()) {
		t.Fatalf("uncached layer offline: err = %v, want registry.ErrOffline naming the blob", err)
	}
	if reqs := reg.Counter.Requests(); len(reqs) != 0 {
		t.Fatalf("offline sent requests: %v", reqs)
	}
}

func TestRegistryNotFound(t *testing.T) {
	reg, _, _ := seeded(t, registrytest.Options{})
	ctx := context.Background()
	for _, ref := range []string{reg.Host + "/lib/busybox:nope", reg.Host + "/no/such:1"} {
		_, err := resolve.Open(ctx, ref, resolve.Options{})
		if !errors.Is(err, resolve.ErrNotFound) {
			t.Fatalf("%s: err = %v, want ErrNotFound", ref, err)
		}
		if !strings.Contains(err.Error(), reg.Host) || !strings.Contains(err.Error(), "check the repository name") {
			t.Fatalf("%s: error lacks host or hint: %v", ref, err)
		}
	}
}

func TestRegistryDigestMismatch(t *testing.T) {
	reg, info, _ := seeded(t, registrytest.Options{})
	ctx := context.Background()
	ropts := resolve.Options{CacheDir: t.TempDir()}
	b, err := resolve.Open(ctx, reg.Host+"/lib/busybox:1", ropts)
	if err != nil {
		t.Fatal(err)
	}
	layer := info.Image(t, "linux/amd64").Layers[0]
	reg.Corrupt(layer.Digest.String())
	rc, err := b.Blobs.Open(ctx, layer)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(io.Discard, rc)
	rc.Close()
	if !errors.Is(err, imageio.ErrDigestMismatch) {
		t.Fatalf("corrupted layer: err = %v, want imageio.ErrDigestMismatch", err)
	}
	if p := b.Blobs.(resolve.Pather).Path(layer); p != "" {
		t.Fatalf("corrupted layer was cached at %s", p)
	}
}

func TestRegistryDigestWinsOverTag(t *testing.T) {
	reg, info, _ := seeded(t, registrytest.Options{})
	// name:tag@digest: the digest wins (here the amd64 manifest, not the
	// index that the tag points at).
	other := info.Image(t, "linux/amd64").Manifest.Digest
	b, err := resolve.Open(context.Background(), reg.Host+"/lib/busybox:1@"+other.String(), resolve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Digest != other || b.IsIndex {
		t.Fatalf("got %s (index %v), want manifest %s", b.Digest, b.IsIndex, other)
	}
}

// readAll reads a blob to the end, failing on verification errors.
func readAll(t *testing.T, src resolve.BlobSource, desc ocispec.Descriptor) {
	t.Helper()
	rc, err := src.Open(context.Background(), desc)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	n, err := io.Copy(io.Discard, rc)
	if err != nil || n != desc.Size {
		t.Fatalf("read %s: %d bytes, %v", desc.Digest, n, err)
	}
}

func TestRegistryHostsDirMirror(t *testing.T) {
	mirror, _, top := seeded(t, registrytest.Options{})
	origin := registrytest.New(t, registrytest.Options{}) // empty: only the mirror has the image
	dir := t.TempDir()
	hostDir := filepath.Join(dir, strings.Replace(origin.Host, ":", "_", 1)+"_")
	toml := "server = \"http://" + origin.Host + "\"\n\n[host.\"http://" + mirror.Host + "\"]\n  capabilities = [\"pull\", \"resolve\"]\n"
	if err := os.MkdirAll(hostDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(hostDir, "hosts.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := resolve.Open(context.Background(), origin.Host+"/lib/busybox:1", resolve.Options{Registry: &registry.Options{HostsDir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	if b.Digest != top.Digest || mirror.Counter.Count("", "/manifests/") == 0 {
		t.Fatalf("digest %s (want %s), mirror requests %v", b.Digest, top.Digest, mirror.Counter.Requests())
	}
}
