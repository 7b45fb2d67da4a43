package assemble

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ybuild/ybuild/internal/blobfile"
	"github.com/ybuild/ybuild/spec"
)

// cacheLayer is a layer of a tree, a file and inline content.
var cacheLayer = spec.Layer{Name: "app", Files: []spec.File{
	{Src: "tree", Dst: "/srv"},
	{Src: "bin", Dst: "/bin/app", Mode: "0755"},
	{Content: ptr("conf\n"), Dst: "/etc/app.conf"},
}}

func ptr(s string) *string { return &s }

// cacheEnv is a layerEnv on dir with the layer cache at cache, recording
// progress labels in labels.
func cacheEnv(t *testing.T, dir, cache string, labels *[]string) layerEnv {
	env := testEnv(t, dir)
	env.LayerCacheDir = cache
	var mu sync.Mutex
	env.Progress = func(name string, _ int64) (func(int64), func(int64)) {
		mu.Lock()
		defer mu.Unlock()
		*labels = append(*labels, name)
		return func(int64) {}, func(int64) {}
	}
	return env
}

// writeCached writes l with env and reports whether it came from the cache.
func writeCached(t *testing.T, l spec.Layer, env layerEnv, labels *[]string) (layerBlob, bool) {
	t.Helper()
	*labels = nil
	out, err := writeLayer(context.Background(), l, env)
	if err != nil {
		t.Fatal(err)
	}
	return out, len(*labels) == 1 && strings.HasSuffix((*labels)[0], "(cached)")
}

func TestLayerCacheReuse(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	writeTree(t, dir, map[string]string{"tree/a.txt": "a", "tree/sub/b.txt": "b", "bin": "binary"})
	var labels []string
	env := cacheEnv(t, dir, cache, &labels)
	first, hit := writeCached(t, cacheLayer, env, &labels)
	if hit {
		t.Fatal("first write came from an empty cache")
	}
	second, hit := writeCached(t, cacheLayer, cacheEnv(t, dir, cache, &labels), &labels)
	if !hit || second.Desc.Digest != first.Desc.Digest || second.DiffID != first.DiffID {
		t.Fatalf("second write: cached %v, %s, want a hit with %s", hit, second.Desc.Digest, first.Desc.Digest)
	}
	if !strings.HasPrefix(second.Path, cache) || !blobfile.Verify(context.Background(), second.Path, second.Desc) {
		t.Errorf("cached layer path %s is not a verified blob in the cache", second.Path)
	}
	uncached := testEnv(t, dir)
	if plain := mustWriteLayer(t, cacheLayer, uncached); plain.Desc.Digest != first.Desc.Digest {
		t.Errorf("layer without cache %s, with cache %s", plain.Desc.Digest, first.Desc.Digest)
	}
}

// mustWriteLayer writes l without reading it back.
func mustWriteLayer(t *testing.T, l spec.Layer, env layerEnv) layerBlob {
	t.Helper()
	out, err := writeLayer(context.Background(), l, env)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLayerCacheMisses checks every change that must not reuse a layer:
// a source rewritten with the same size and mtime, a touched source, a
// different attribute, a damaged cached blob.
func TestLayerCacheMisses(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	writeTree(t, dir, map[string]string{"tree/a.txt": "a", "bin": "binary"})
	var labels []string
	env := cacheEnv(t, dir, cache, &labels)
	orig, _ := writeCached(t, cacheLayer, env, &labels)

	// Same size, same mtime, new content: the ctime changes.
	bin := filepath.Join(dir, "bin")
	fi, _ := os.Stat(bin)
	time.Sleep(10 * time.Millisecond) // let the ctime tick on coarse clocks
	if err := os.WriteFile(bin, []byte("BINARY"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(bin, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	changed, hit := writeCached(t, cacheLayer, env, &labels)
	if hit || changed.Desc.Digest == orig.Desc.Digest {
		t.Fatalf("rewritten source: cached %v, digest %s (was %s)", hit, changed.Desc.Digest, orig.Desc.Digest)
	}

	// Another mode: a miss with another digest.
	other := cacheLayer
	other.Files = append([]spec.File{}, cacheLayer.Files...)
	other.Files[1].Mode = "0700"
	if l, hit := writeCached(t, other, env, &labels); hit || l.Desc.Digest == changed.Desc.Digest {
		t.Errorf("mode change: cached %v", hit)
	}

	// A damaged cached blob is not reused, and the rewrite is right.
	cached, hit := writeCached(t, cacheLayer, env, &labels)
	if !hit {
		t.Fatal("unchanged layer was not cached")
	}
	if err := os.Chmod(cached.Path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cached.Path, make([]byte, cached.Desc.Size), 0o644); err != nil {
		t.Fatal(err)
	}
	again, hit := writeCached(t, cacheLayer, cacheEnv(t, dir, cache, &labels), &labels)
	if hit || again.Desc.Digest != changed.Desc.Digest || !blobfile.Verify(context.Background(), again.Path, again.Desc) {
		t.Errorf("damaged cache: cached %v, digest %s, want a rewrite giving %s", hit, again.Desc.Digest, changed.Desc.Digest)
	}
	if _, hit := writeCached(t, cacheLayer, env, &labels); !hit {
		t.Error("the rewrite did not repair the cache")
	}
}

// TestLayerCacheSkipsExtract checks that layers with extract entries (whose
// spooled sources have no stable identity) are neither cached nor reused.
func TestLayerCacheSkipsExtract(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	makeArchive(t, dir, "pkg.tar.gz", "gzip", goodArchive)
	l := spec.Layer{Files: []spec.File{{Src: "pkg.tar.gz", Dst: "/opt/pkg", Extract: true}}}
	var labels []string
	for i := 0; i < 2; i++ {
		if _, hit := writeCached(t, l, cacheEnv(t, dir, cache, &labels), &labels); hit {
			t.Fatalf("write %d of an extract layer came from the cache", i)
		}
	}
	if _, err := os.Stat(filepath.Join(cache, "layers")); !os.IsNotExist(err) {
		t.Errorf("extract layer recorded in the cache: %v", err)
	}
}

// TestLayerCacheShape checks the second key: the same layer from a fresh
// copy of the sources (new inodes and ctimes) or after a touch is reused
// once its DiffID is confirmed, but not when mtime: preserve makes the
// touch part of the layer.
func TestLayerCacheShape(t *testing.T) {
	cache := t.TempDir()
	files := map[string]string{"tree/a.txt": "a", "tree/sub/b.txt": "b", "bin": "binary"}
	first, second := t.TempDir(), t.TempDir()
	writeTree(t, first, files)
	var labels []string
	orig, _ := writeCached(t, cacheLayer, cacheEnv(t, first, cache, &labels), &labels)

	writeTree(t, second, files) // another checkout of the same files
	if l, hit := writeCached(t, cacheLayer, cacheEnv(t, second, cache, &labels), &labels); !hit || l.Desc.Digest != orig.Desc.Digest {
		t.Fatalf("fresh checkout: cached %v, digest %s, want a hit on %s", hit, l.Desc.Digest, orig.Desc.Digest)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(second, "bin"), later, later); err != nil {
		t.Fatal(err)
	}
	if _, hit := writeCached(t, cacheLayer, cacheEnv(t, second, cache, &labels), &labels); !hit {
		t.Error("touched source (mtime: created): not reused")
	}
	preserve := cacheLayer
	preserve.Attrs.Mtime = "preserve"
	p1, _ := writeCached(t, preserve, cacheEnv(t, first, cache, &labels), &labels)
	p2, hit := writeCached(t, preserve, cacheEnv(t, second, cache, &labels), &labels)
	if hit || p1.Desc.Digest == p2.Desc.Digest {
		t.Errorf("mtime: preserve with another mtime: cached %v, digests %s and %s", hit, p1.Desc.Digest, p2.Desc.Digest)
	}
}

// TestLayerCacheAcrossFileSystems checks that a cache on another file
// system than the build's blobs (no hard links) still stores and reuses
// layers, by copying.
func TestLayerCacheAcrossFileSystems(t *testing.T) {
	shm, err := os.MkdirTemp("/dev/shm", "ybuild-test-")
	if err != nil {
		t.Skipf("no /dev/shm to put the blobs on another file system: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(shm) })
	dir, cache := t.TempDir(), t.TempDir()
	if sameDevice(t, shm, cache) {
		t.Skip("/dev/shm and the temp dir are one file system")
	}
	writeTree(t, dir, map[string]string{"tree/a.txt": "a", "bin": "binary"})
	var labels []string
	env := cacheEnv(t, dir, cache, &labels)
	env.BlobDir = shm
	first, _ := writeCached(t, cacheLayer, env, &labels)
	second, hit := writeCached(t, cacheLayer, env, &labels)
	if !hit || second.Desc.Digest != first.Desc.Digest || !strings.HasPrefix(second.Path, cache) {
		t.Fatalf("second write: cached %v at %s, want a hit in %s", hit, second.Path, cache)
	}
}

// sameDevice reports whether a and b are on one file system.
func sameDevice(t *testing.T, a, b string) bool {
	t.Helper()
	fa, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := os.Stat(b)
	if err != nil {
		t.Fatal(err)
	}
	ia, ib := fileIdentity(fa), fileIdentity(fb)
	if ia == "" || ib == "" {
		t.Skip("no file identity on this system")
	}
	return strings.Fields(ia)[0] == strings.Fields(ib)[0]
}
