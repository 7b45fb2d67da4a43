package main

import (
	"bytes"
	"context"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/blobfile"
	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/internal/testbase"
)

// TestConcurrentBuildsShareCache runs several builds at once with one
// --cache-dir: a registry base (blob cache) plus a file layer (layer
// cache). Every build succeeds with the same digest, each base layer is
// fetched at most a few times (never corrupted by racing writers), and the
// cache ends with verified blobs and no temp files.
func TestConcurrentBuildsShareCache(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	baseDir := filepath.Join(t.TempDir(), "base")
	info := testbase.Layout(t, baseDir)
	baseRef := reg.Host + "/lib/busybox:1"
	reg.PushLayout(t, baseDir, testbase.Ref, baseRef)
	spec := e2eHelloDir(t)
	cache, out := t.TempDir(), t.TempDir()

	const n = 6
	digests := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var stdout, stderr bytes.Buffer
			args := []string{"-f", spec, "--arg", "BASE=" + baseRef, "--progress", "quiet",
				"--cache-dir", cache, "-o", "oci-archive:" + filepath.Join(out, string(rune('a'+i))+".tar")}
			if code := run(context.Background(), args, &stdout, &stderr); code != exitOK {
				t.Errorf("build %d: exit %d: %s", i, code, stderr.String())
				return
			}
			_, digests[i], _ = strings.Cut(strings.TrimSpace(stdout.String()), " ")
		}()
	}
	wg.Wait()
	for i := range digests {
		if digests[i] == "" || digests[i] != digests[0] {
			t.Fatalf("digests differ: %q", digests)
		}
	}
	for _, l := range info.Image(t, "linux/amd64").Layers {
		if got := reg.Counter.Count(http.MethodGet, "/blobs/"+l.Digest.String()); got < 1 || got > n {
			t.Errorf("base layer %s fetched %d times by %d builds", l.Digest, got, n)
		}
	}
	checkCacheDir(t, cache)
}

// checkCacheDir fails on temp files in the cache and on any blob whose
// content does not match its name.
func checkCacheDir(t *testing.T, cache string) {
	t.Helper()
	blobs := 0
	err := filepath.WalkDir(cache, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := d.Name()
		if strings.HasPrefix(name, ".") || strings.Contains(name, ".link-") || strings.Contains(name, "tmp") {
			t.Errorf("temp file left in the cache: %s", p)
		}
		if filepath.Base(filepath.Dir(p)) != "sha256" {
			return nil
		}
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		desc := ocispec.Descriptor{Digest: digest.NewDigestFromEncoded(digest.SHA256, name), Size: fi.Size()}
		if !blobfile.Verify(context.Background(), p, desc) {
			t.Errorf("cached blob %s does not match its digest", p)
		}
		blobs++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if blobs == 0 {
		t.Error("the cache holds no blobs")
	}
}
