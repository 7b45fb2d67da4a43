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
