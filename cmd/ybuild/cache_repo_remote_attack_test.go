package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ybuild/ybuild/internal/e2e"
	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/internal/testbase"
	"github.com/ybuild/ybuild/remotecache"
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

// TestCacheRepoRemoteRecordsRepoDenied: a rebuild whose local cache has
// Remote records (layers left in the cache repository) while the cache
// repository refuses every request (403; the rest of its registry works)
// degrades to a normal build: the layer is written and pushed, the cold
// build's image, with one warning.
func TestCacheRepoRemoteRecordsRepoDenied(t *testing.T) {
	testbase.Busybox(t)
	signKey, trustKey, _ := cacheKeyFiles(t)
	seed := seedCacheRepo(t, "--cache-sign-key", signKey)
	reg, want := seed.reg, seed.image
	fresh := []string{"-f", cacheRepoCheckout(t), "--cache-repo", seed.repo, "--cache-trust-key", trustKey}
	remoteDir := t.TempDir()
	ref := reg.Host + "/team/app:1"
	if res, _ := buildStderr(t, append(append([]string{}, fresh...), "--cache-dir", remoteDir, "-o", "docker://"+ref)...); res["docker://"+ref] != want {
		t.Fatalf("push-only build: %s, want %s", res["docker://"+ref], want)
	}
	reg.Inject(registrytest.Fault{Path: "/ci/cache/", Status: http.StatusForbidden})
	ref = reg.Host + "/team/app:2"
	res, stderr := buildStderr(t, append(append([]string{}, fresh...), "--cache-dir", remoteDir, "-o", "docker://"+ref)...)
	checkWithoutCacheRepo(t, res["docker://"+ref], want, stderr)
}

// TestCacheRepoRemoteRecordsStall: a rebuild whose local cache has Remote
// records, against a cache repository whose HEADs stall (the rest of its
// registry works), waits out one check of a blob (its stalled HEADs, the
// registry idle timeout with its retries each), then builds without the
// cache repository, with one warning: the cold build's image, and no
// record lookup. A check that failed was a quiet miss, so the build
// stalled on the Remote record by key, again by shape, and once more on
// the record lookup (each check costs up to 10 stalled HEADs: its
// manifest and blob paths with their retries, 10 minutes at the default
// idle timeout).
func TestCacheRepoRemoteRecordsStall(t *testing.T) {
	testbase.Busybox(t)
	signKey, trustKey, _ := cacheKeyFiles(t)
	seed := seedCacheRepo(t, "--cache-sign-key", signKey)
	proxy := registrytest.NewProxy(t, seed.reg.Host)
	fresh := []string{"-f", cacheRepoCheckout(t), "--cache-repo", proxy.Host + "/ci/cache", "--cache-trust-key", trustKey,
		"--registry-idle-timeout", "300ms", "--retries", "1"}
	remoteDir := t.TempDir()
	ref := proxy.Host + "/team/app:1"
	if res, _ := buildStderr(t, append(append([]string{}, fresh...), "--cache-dir", remoteDir, "-o", "docker://"+ref)...); res["docker://"+ref] != seed.image {
		t.Fatalf("push-only build: %s, want %s", res["docker://"+ref], seed.image)
	}
	proxy.Counter.Reset()
	proxy.Inject(registrytest.ProxyFault{Kind: registrytest.StallRequest, Method: http.MethodHead, Path: "/ci/cache/", Times: 100})
	ref = proxy.Host + "/team/app:2"
	res, stderr := buildStderr(t, append(append([]string{}, fresh...), "--cache-dir", remoteDir, "-o", "docker://"+ref)...)
	checkWithoutCacheRepo(t, res["docker://"+ref], seed.image, stderr)
	if n := proxy.Counter.Count("HEAD", "/ci/cache/manifests/"+remotecache.TagPrefix); n != 0 {
		t.Errorf("%d stalled record lookups after the stalled check of the blob, want none", n)
	}
}

// TestCacheRepoRemoteRecordsNotMisused: the Remote records a push-only
// build leaves in the local cache serve only builds that may leave blobs
// in that cache repository. With the same cache directory, a build
// writing a layout gets the layer's blob in the layout (downloaded and
// verified, or written), a push-only build with another cache repository
// or none, and one with --no-cache, each push the cold build's image,
// a dry run succeeds, and verify (which rebuilds without the cache
// repository) finds the pushed image identical.
func TestCacheRepoRemoteRecordsNotMisused(t *testing.T) {
	testbase.Busybox(t)
	signKey, trustKey, _ := cacheKeyFiles(t)
	seed := seedCacheRepo(t, "--cache-sign-key", signKey)
	reg, want, layer := seed.reg, seed.image, seed.layer
	checkout := cacheRepoCheckout(t)
	dir := t.TempDir()
	ref := reg.Host + "/team/app:1"
	if res, _ := buildStderr(t, "-f", checkout, "--cache-repo", seed.repo, "--cache-trust-key", trustKey, "--cache-dir", dir, "-o", "docker://"+ref); res["docker://"+ref] != want {
		t.Fatalf("push-only build: %s, want %s", res["docker://"+ref], want)
	}
	out := filepath.Join(t.TempDir(), "out")
	res, _ := buildStderr(t, "-f", checkout, "--cache-repo", seed.repo, "--cache-trust-key", trustKey, "--cache-dir", dir, "-o", "oci:"+out)
	if res["oci:"+out] != want || cacheRepoLayer(t, out) != layer {
		t.Errorf("layout: %s, want %s", res["oci:"+out], want)
	}
	if _, err := os.Stat(filepath.Join(out, "blobs", "sha256", layer.Encoded())); err != nil {
		t.Errorf("layout: the layer's blob: %v", err)
	}
	for i, flags := range [][]string{
		{"--cache-repo", reg.Host + "/other/cache", "--cache-trust-key", trustKey},
		nil,
		{"--cache-repo", seed.repo, "--cache-trust-key", trustKey, "--no-cache"},
	} {
		ref := reg.Host + "/misuse/app:" + string(rune('a'+i))
		res, _ := buildStderr(t, append([]string{"-f", checkout, "--cache-dir", dir, "-o", "docker://" + ref}, flags...)...)
		if got := res["docker://"+ref]; got != want {
			t.Errorf("%v: %s, want %s", flags, got, want)
		}
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"build", "--progress", "quiet", "--platform", "linux/amd64", "-f", checkout, "--cache-dir", dir,
		"--cache-repo", seed.repo, "--cache-trust-key", trustKey, "--dry-run", "-o", "docker://" + reg.Host + "/misuse/app:dry"}, &stdout, &stderr)
	if code != exitOK || !strings.Contains(stdout.String(), want.String()) {
		t.Errorf("dry run: exit %d, stdout %q, stderr %q; want %s", code, stdout.String(), stderr.String(), want)
	}
	stdout.Reset()
	stderr.Reset()
	code = run(context.Background(), []string{"verify", "--platform", "linux/amd64", "-f", checkout, "--cache-dir", dir, "docker://" + ref}, &stdout, &stderr)
	if code != exitOK {
		t.Errorf("verify of the push-only build: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}
