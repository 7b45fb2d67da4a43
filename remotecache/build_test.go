package remotecache_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/remotecache"
	"github.com/ybuild/ybuild/resolve"
	"github.com/ybuild/ybuild/spec"
)

// buildSpec copies a directory of sources onto scratch.
const buildSpec = `apiVersion: ybuild/v1
base: scratch
created: 2023-04-05T06:07:08Z
layers:
  - name: app
    files:
      - {src: app, dst: /app}
`

// checkout writes a fresh copy (new inodes and times) of the same sources.
func checkout(t *testing.T) *spec.Build {
	t.Helper()
	dir := t.TempDir()
	for i := 0; i < 5; i++ {
		p := filepath.Join(dir, "app", "f"+string(rune('a'+i))+".txt")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.Repeat("line of app text\n", 100*(i+1))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := spec.Parse([]byte(buildSpec), "build.yaml", dir, spec.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// built is what a build produced: the image digest and its one layer.
type built struct {
	img   *assemble.Image
	layer ocispec.Descriptor
}

// buildOn builds a fresh checkout with an empty local cache and shared
// (nil: none), as a new machine would.
func buildOn(t *testing.T, shared assemble.SharedCache) built {
	t.Helper()
	ctx := context.Background()
	base, err := resolve.Open(ctx, "scratch", resolve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opts := assemble.Options{BlobDir: t.TempDir(), LayerCacheDir: t.TempDir()}
	if shared != nil {
		opts.Shared = shared
	}
	im, err := assemble.Build(ctx, checkout(t), base, opts)
	if err != nil {
		t.Fatal(err)
	}
	return built{img: im, layer: im.Manifests[0].Layers[0]}
}

// recordShape returns the shape key of the one record in repository
// ci/cache.
func recordShape(t *testing.T, host string) string {
	t.Helper()
	tags := registrytest.Tags(t, host, "ci/cache")
	if len(tags) != 1 || !strings.HasPrefix(tags[0], remotecache.TagPrefix) {
		t.Fatalf("tags %v: want one record", tags)
	}
	return strings.TrimPrefix(tags[0], remotecache.TagPrefix)
}

// holds reports whether the image has a blob with digest d.
func holds(im *assemble.Image, d digest.Digest) bool {
	for _, b := range im.Blobs() {
		if b.Digest == d {
			return true
		}
	}
	return false
}

// TestBuildThroughSharedCache: a new machine reuses the layer a first
// one stored (one blob download, mountable from the repository); every
// record or blob that does not check out, and every repository that
// cannot be used, leaves the build as a cold one: the same digests,
// nothing foreign in the image.
func TestBuildThroughSharedCache(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{})
	repo := reg.Host + "/ci/cache"
	cold := buildOn(t, nil)

	first, w := newCache(t, repo, nil)
	if got := buildOn(t, first); got.img.Desc.Digest != cold.img.Desc.Digest {
		t.Fatalf("build with an empty cache repository: %s, want %s", got.img.Desc.Digest, cold.img.Desc.Digest)
	}
	first.Push(ctx, nil)
	shape := recordShape(t, reg.Host)
	blobPath := "/ci/cache/blobs/" + cold.layer.Digest.String()

	reg.Counter.Reset()
	c, _ := newCache(t, repo, nil)
	hit := buildOn(t, c)
	if hit.img.Desc.Digest != cold.img.Desc.Digest {
		t.Fatalf("shared hit: %s, want %s", hit.img.Desc.Digest, cold.img.Desc.Digest)
	}
	if n := reg.Counter.Count(http.MethodGet, blobPath); n != 1 {
		t.Errorf("layer downloaded %d times, want 1", n)
	}
	if o, ok := hit.img.Source(hit.layer).(registry.Origin); !ok {
		t.Error("a layer from the shared cache has no origin to mount it from")
	} else if from, ok := o.Origin(hit.layer); !ok || from.Name() != repo {
		t.Errorf("origin %v, want %s", from, repo)
	}
	if len(w.list()) != 0 {
		t.Errorf("warnings: %q", w.list())
	}

	// A record that claims the layer's DiffID for other content.
	bad := newLayer(t, t.TempDir(), "app/evil.txt", "not the app\n")
	liar, _ := newCache(t, repo, nil)
	diffID := diffIDOf(t, cold)
	liar.Store(shape, bad.desc, diffID, bad.path)
	liar.Push(ctx, nil)

	hostile := map[string]struct {
		setup func()
		gets  int // downloads of the recorded blob: checked (while compared with the sources), then refused
		blob  digest.Digest
	}{
		"blob of other content": {setup: func() {}, gets: 1, blob: bad.desc.Digest},
		"corrupted blob": {setup: func() {
			serveManifest(reg, shape, manifest(layer{desc: cold.layer, diffID: diffID}, shape, nil), 0)
			reg.Corrupt(cold.layer.Digest.String())
		}, gets: 1, blob: cold.layer.Digest},
		"oversized blob": {setup: func() {
			huge := cold.layer
			huge.Size = 1 << 40
			serveManifest(reg, shape, manifest(layer{desc: huge, diffID: diffID}, shape, nil), 0)
		}, gets: 0, blob: cold.layer.Digest},
		"other diffid": {setup: func() {
			serveManifest(reg, shape, manifest(layer{desc: cold.layer, diffID: bad.diffID}, shape, nil), 0)
		}, gets: 1, blob: cold.layer.Digest}, // the DiffID is known once the download has been compared
	}
	for name, tc := range hostile {
		t.Run(name, func(t *testing.T) {
			defer reg.ClearFaults()
			tc.setup()
			reg.Counter.Reset()
			c, w := newCache(t, repo, nil)
			got := buildOn(t, c)
			if got.img.Desc.Digest != cold.img.Desc.Digest || got.layer.Digest != cold.layer.Digest {
				t.Errorf("image %s layer %s, want the cold build's %s %s", got.img.Desc.Digest, got.layer.Digest, cold.img.Desc.Digest, cold.layer.Digest)
			}
			if tc.blob != cold.layer.Digest && holds(got.img, tc.blob) {
				t.Error("the hostile blob is in the image")
			}
			if got.img.Source(got.layer) != nil {
				t.Error("the layer written here claims the cache repository as its origin")
			}
			if n := reg.Counter.Count(http.MethodGet, "/ci/cache/blobs/"+tc.blob.String()); n != tc.gets {
				t.Errorf("recorded blob downloaded %d times, want %d", n, tc.gets)
			}
			if len(w.list()) != 0 {
				t.Errorf("warnings: %q", w.list())
			}
		})
	}

	unusable := map[string]func(t *testing.T) string{
		"unreachable": func(*testing.T) string { return "127.0.0.1:1/ci/cache" },
		"pull denied": func(t *testing.T) string {
			return registrytest.New(t, registrytest.Options{Auth: registrytest.Token, Users: map[string]string{"ci": "secret"}}).Host + "/ci/cache"
		},
		"push denied": func(t *testing.T) string {
			return registrytest.New(t, registrytest.Options{Auth: registrytest.Token, AnonymousPull: true, Users: map[string]string{"ci": "secret"}}).Host + "/ci/cache"
		},
	}
	for name, repo := range unusable {
		t.Run(name, func(t *testing.T) {
			c, w := newCache(t, repo(t), &registry.Options{Retries: -1})
			got := buildOn(t, c)
			c.Push(ctx, nil)
			if got.img.Desc.Digest != cold.img.Desc.Digest {
				t.Errorf("image %s, want the cold build's %s", got.img.Desc.Digest, cold.img.Desc.Digest)
			}
			if msgs := w.list(); len(msgs) != 1 {
				t.Errorf("warnings %q: want one", msgs)
			}
		})
	}
}

// diffIDOf returns the DiffID of b's layer, from its config.
func diffIDOf(t *testing.T, b built) digest.Digest {
	t.Helper()
	var cfg ocispec.Image
	if err := json.Unmarshal(b.img.Bytes(b.img.Manifests[0].Config), &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg.RootFS.DiffIDs[0]
}
