package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLayerCacheRebuild checks the layer cache through the CLI: a rebuild
// reuses the layer (progress says cached) with the same digest, a changed
// source is rebuilt, and --no-cache neither reads nor fills the cache.
func TestLayerCacheRebuild(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	src := filepath.Join(dir, "app.txt")
	spec := "apiVersion: ybuild/v1\nbase: scratch\nfiles:\n  - {src: app.txt, dst: /app.txt}\n"
	if err := os.WriteFile(filepath.Join(dir, "build.yaml"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, []byte("v1"), 0o644); err != nil {
		t.Fatal(err)
	}
	build := func(extra ...string) (digest string, cached bool) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		args := append([]string{"-f", filepath.Join(dir, "build.yaml"), "--progress", "plain",
			"--cache-dir", cache, "-o", "oci:" + filepath.Join(dir, "out")}, extra...)
		if code := run(context.Background(), args, &stdout, &stderr); code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		_, d, _ := strings.Cut(strings.TrimSpace(stdout.String()), " ")
		return d, strings.Contains(stderr.String(), "(cached)")
	}
	first, cached := build()
	if cached {
		t.Fatal("first build used the cache")
	}
	if again, cached := build(); !cached || again != first {
		t.Fatalf("rebuild: cached %v, digest %s, want a cached %s", cached, again, first)
	}
	if err := os.WriteFile(src, []byte("v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	if changed, cached := build(); cached || changed == first {
		t.Fatalf("changed source: cached %v, digest %s", cached, changed)
	}
	if err := os.RemoveAll(cache); err != nil {
		t.Fatal(err)
	}
	if _, cached := build("--no-cache"); cached {
		t.Fatal("--no-cache used the cache")
	}
	if _, err := os.Stat(filepath.Join(cache, "layers")); !os.IsNotExist(err) {
		t.Errorf("--no-cache filled the cache: %v", err)
	}
}

// TestCachePrune checks `ybuild cache prune`: the default keeps a layer
// just built, --all empties the cache so the next build writes the layer
// again, and a negative age is a usage error.
func TestCachePrune(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	spec := filepath.Join(dir, "build.yaml")
	if err := os.WriteFile(spec, []byte("apiVersion: ybuild/v1\nbase: scratch\nfiles:\n  - {content: x, dst: /x}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	build := func() bool {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"-f", spec, "--progress", "plain", "--cache-dir", cache, "-o", "oci:" + filepath.Join(dir, "out")}, &stdout, &stderr); code != exitOK {
			t.Fatalf("build: exit %d: %s", code, stderr.String())
		}
		return strings.Contains(stderr.String(), "(cached)")
	}
	prune := func(args ...string) (int, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"cache", "prune", "--cache-dir", cache}, args...), &stdout, &stderr)
		return code, stdout.String() + stderr.String()
	}
	build()
	if code, out := prune(); code != exitOK || !strings.Contains(out, "removed 0 files") {
		t.Fatalf("default prune: exit %d, %q; want nothing removed", code, out)
	}
	if !build() {
		t.Fatal("the layer is not cached after a default prune")
	}
	if code, out := prune("--all"); code != exitOK || strings.Contains(out, "removed 0 files") || !strings.Contains(out, "kept 0 (0 B)") {
		t.Fatalf("prune --all: exit %d, %q", code, out)
	}
	if build() {
		t.Fatal("the layer is still cached after prune --all")
	}
	if code, _ := prune("--older-than", "-1h"); code != exitUsage {
		t.Fatalf("negative --older-than: exit %d, want %d", code, exitUsage)
	}
}

// TestNoCacheDirectory checks that a build without $HOME and
// XDG_CACHE_HOME (some CI containers) still works, without a cache, and
// says so on stderr.
func TestNoCacheDirectory(t *testing.T) {
	t.Setenv("HOME", "")
	t.Setenv("XDG_CACHE_HOME", "")
	dir := t.TempDir()
	spec := filepath.Join(dir, "build.yaml")
	if err := os.WriteFile(spec, []byte("apiVersion: ybuild/v1\nbase: scratch\nfiles:\n  - {content: x, dst: /x}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-f", spec, "--progress", "quiet", "-o", "oci:" + filepath.Join(dir, "out")}, &stdout, &stderr)
	if code != exitOK || !strings.Contains(stdout.String(), " sha256:") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "no cache directory") {
		t.Errorf("stderr %q does not say the build ran without a cache", stderr.String())
	}
}
