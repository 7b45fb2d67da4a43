package assemble

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	ycache "github.com/ybuild/ybuild/cache"

	"github.com/ybuild/ybuild/spec"
)

// TestPruneCache checks that a prune removes an unused layer and its blob,
// keeps a layer used since the cutoff (a hit refreshes its record) with
// its blob however old, and removes old references and temporary files.
func TestPruneCache(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	writeTree(t, dir, map[string]string{"tree/a.txt": "a", "bin": "binary"})
	var labels []string
	env := cacheEnv(t, dir, cache, &labels)
	used, _ := writeCached(t, cacheLayer, env, &labels)
	unusedLayer := spec.Layer{Files: []spec.File{{Content: ptr("unused"), Dst: "/unused"}}}
	unused, _ := writeCached(t, unusedLayer, env, &labels)

	old := time.Now().Add(-48 * time.Hour)
	cutoff := time.Now().Add(-24 * time.Hour)
	ageAll(t, cache, old)
	writeFile(t, filepath.Join(cache, "refs", "stale"), old)
	writeFile(t, filepath.Join(cache, "blobs", "sha256", ".tmp-abc"), old)
	if _, hit := writeCached(t, cacheLayer, env, &labels); !hit { // used again now
		t.Fatal("no hit before the prune")
	}

	st, err := ycache.Prune(cache, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(cache, "blobs", "sha256", unused.Desc.Digest.Encoded()), filepath.Join(cache, "refs", "stale"), filepath.Join(cache, "blobs", "sha256", ".tmp-abc")} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s survived the prune", p)
		}
	}
	if _, err := os.Stat(filepath.Join(cache, "blobs", "sha256", used.Desc.Digest.Encoded())); err != nil {
		t.Errorf("the used layer's (old) blob was pruned: %v", err)
	}
	if st.Removed < 5 || st.Kept < 2 {
		t.Errorf("stats %+v: want the unused layer's records and blob, the ref and the temp file removed", st)
	}
	if _, hit := writeCached(t, cacheLayer, env, &labels); !hit {
		t.Error("the used layer is no longer cached")
	}
	if _, hit := writeCached(t, unusedLayer, env, &labels); hit {
		t.Error("the pruned layer is still cached")
	}
}

// ageAll sets the mtime of every file under dir to t0.
func ageAll(t *testing.T, dir string, t0 time.Time) {
	t.Helper()
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		return os.Chtimes(p, t0, t0)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// writeFile creates path with mtime t0.
func writeFile(t *testing.T, path string, t0 time.Time) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, t0, t0); err != nil {
		t.Fatal(err)
	}
}
