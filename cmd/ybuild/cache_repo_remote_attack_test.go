package main

import (
	"path/filepath"
	"testing"

	"github.com/ybuild/ybuild/internal/e2e"
	"github.com/ybuild/ybuild/internal/testbase"
)

// TestCacheRepoSignedBlobGone: a trusted signed record whose blob the
// cache repository no longer holds (deleted, expired) costs a push-only
// build nothing but the cache hit: on a fresh machine (a record lookup)
// and on a rebuild (a local Remote record), the layer is built and pushed,
// the cold build's image. The push could neither mount the blob nor copy
// it from the cache repository, and failed.
func TestCacheRepoSignedBlobGone(t *testing.T) {
	testbase.Busybox(t)
	skopeo := e2e.Require(t, "skopeo")
	signKey, trustKey, _ := cacheKeyFiles(t)
	seed := seedCacheRepo(t, "--cache-sign-key", signKey)
	reg, want, layer := seed.reg, seed.image, seed.layer
	fresh := []string{"-f", cacheRepoCheckout(t), "--cache-repo", seed.repo, "--cache-trust-key", trustKey}
	remoteDir := t.TempDir()
	ref := reg.Host + "/team/app:1"
	res, _ := buildStderr(t, append(append([]string{}, fresh...), "--cache-dir", remoteDir, "-o", "docker://"+ref)...)
	if got := res["docker://"+ref]; got != want {
		t.Fatalf("push-only build: %s, want %s", got, want)
	}

	reg.Unlink(t, "ci/cache", layer)
	for i, tc := range []struct{ name, cacheDir string }{
		{"fresh machine", t.TempDir()},
		{"rebuild with a Remote record", remoteDir},
	} {
		ref := reg.Host + "/gone/app:" + string(rune('a'+i))
		res, _ := buildStderr(t, append(append([]string{}, fresh...), "--cache-dir", tc.cacheDir, "-o", "docker://"+ref)...)
		if got := res["docker://"+ref]; got != want {
			t.Errorf("%s: pushed %s, want the cold build's %s", tc.name, got, want)
		}
		pulled := filepath.Join(t.TempDir(), "pulled")
		e2e.Run(t, skopeo, "copy", "--quiet", "--src-tls-verify=false", "docker://"+ref, "oci:"+pulled+":x")
		if got := cacheRepoLayer(t, pulled); got != layer {
			t.Errorf("%s: pulled top layer %s, want %s", tc.name, got, layer)
		}
	}
}
