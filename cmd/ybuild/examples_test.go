package main

import (
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ybuild/ybuild/internal/e2e"
	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/internal/testbase"
	"github.com/ybuild/ybuild/location"
)

// copyExamples copies examples/ into a new directory (so builds write
// there), makes base-busybox's rootfs/bin from the host's static busybox as
// `make busybox-rootfs` does, and puts a stand-in for the hello binary.
func copyExamples(t *testing.T) string {
	t.Helper()
	busybox := testbase.Busybox(t)
	dst := filepath.Join(t.TempDir(), "examples")
	err := filepath.WalkDir(filepath.Join("..", "..", "examples"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(filepath.Join("..", "..", "examples"), p)
		if d.IsDir() && d.Name() == "build" {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dst, "base-busybox", "rootfs", "bin")
	data, err := os.ReadFile(busybox)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"sh", "cat", "ls", "httpd"} {
		if err := os.Symlink("busybox", filepath.Join(bin, a)); err != nil {
			t.Fatal(err)
		}
	}
	e2eWriteFiles(t, filepath.Join(dst, "hello"), map[string]string{"bin/hello": "stand-in for the Go binary\n"})
	return dst
}

// TestExamplesBuild builds every example with its own spec and outputs,
// base-busybox first (the others build on its layout).
func TestExamplesBuild(t *testing.T) {
	dir := copyExamples(t)
	specs, _ := filepath.Glob(filepath.Join(dir, "*", "build.yaml"))
	if len(specs) < 6 {
		t.Fatalf("found %d examples, want at least 6", len(specs))
	}
	order := []string{filepath.Join(dir, "base-busybox", "build.yaml")}
	for _, s := range specs {
		if s != order[0] {
			order = append(order, s)
		}
	}
	for _, s := range order {
		name := filepath.Base(filepath.Dir(s))
		res := e2eResults(t, cliBuild(t, "-f", s, "--platform", "linux/amd64"))
		if len(res) == 0 {
			t.Errorf("%s: no outputs", name)
		}
		for dest := range res {
			l, err := location.Parse(dest, location.Output)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(l.Abs(filepath.Dir(s)).Path); err != nil {
				t.Errorf("%s: output %s: %v", name, dest, err)
			}
		}
	}
}

// TestExamplePushREADME follows examples/push/README.md against the test
// registry: the base pushed from base-busybox, then the example built on it
// with --push. As the README says, the base layers are mounted and never
// downloaded (the spec's oci: output used to fetch them).
func TestExamplePushREADME(t *testing.T) {
	e2e.Require(t, "skopeo")
	dir := copyExamples(t)
	reg := registrytest.New(t, registrytest.Options{})
	base := reg.Host + "/ybuild/busybox:latest"
	cliBuild(t, "-f", filepath.Join(dir, "base-busybox", "build.yaml"), "-o", "docker://"+base)
	baseLayers := e2eInspect(t, "docker://"+base, "--tls-verify=false").Layers
	reg.Counter.Reset()
	cache := t.TempDir()
	stdout := cliBuild(t, "-f", filepath.Join(dir, "push", "build.yaml"), "--arg", "BASE="+base, "--arg", "REGISTRY="+reg.Host, "--push", "--cache-dir", cache)
	ref := reg.Host + "/ybuild/hello:1"
	if !strings.HasPrefix(stdout, ref+"@sha256:") || strings.Count(stdout, "\n") != 1 {
		t.Errorf("stdout %q, want one line %s@sha256:…", stdout, ref)
	}
	for _, l := range baseLayers {
		if n := reg.Counter.Count(http.MethodGet, "/blobs/"+l.String()); n != 0 {
			t.Errorf("base layer %s was downloaded %d times, want 0 (mounted)", l, n)
		}
	}
	if n := reg.Counter.Mounts(); n < 1 {
		t.Errorf("no cross-repository mount of the base layer")
	}
	if _, err := os.Stat(filepath.Join(dir, "push", "build")); err == nil {
		t.Errorf("--push also wrote build/push: the README promises only the push")
	}
}
