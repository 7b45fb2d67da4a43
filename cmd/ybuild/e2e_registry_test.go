package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/e2e"
	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/internal/testbase"
)

// e2eHelloSpec adds one file to BASE and prints it.
const e2eHelloSpec = `apiVersion: ybuild/v1
name: e2e-hello
base: ${BASE}
args: {BASE: oci:base:latest}
created: 2023-04-05T06:07:08Z
layers:
  - name: hello
    files:
      - {content: "hello from the registry\n", dst: /hello.txt}
config:
  entrypoint: [/bin/cat, /hello.txt]
`

// e2eHelloDir writes e2eHelloSpec and the busybox base layout into a new
// directory and returns the spec path.
func e2eHelloDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	testbase.Layout(t, filepath.Join(dir, "base"))
	e2eWriteFiles(t, dir, map[string]string{"build.yaml": e2eHelloSpec})
	return filepath.Join(dir, "build.yaml")
}

// TestE2ERegistryPush pushes to the in-process registry and writes an OCI
// layout in the same build: the push line carries the layout's digest,
// skopeo sees it, and podman pulls and runs the image.
func TestE2ERegistryPush(t *testing.T) {
	e2e.Require(t, "podman")
	e2e.Require(t, "runc")
	reg := registrytest.New(t, registrytest.Options{})
	ref := reg.Host + "/app:1"
	layout := filepath.Join(t.TempDir(), "layout")
	stdout := e2eBuild(t, "-f", e2eHelloDir(t), "--platform", "linux/amd64",
		"--cache-dir", t.TempDir(), "--insecure-registry", reg.Host,
		"-o", "docker://"+ref, "-o", "oci:"+layout)
	res := e2eResults(t, stdout)
	want := res["oci:"+layout]
	if want == "" || !strings.Contains(stdout, ref+"@"+want.String()+"\n") {
		t.Fatalf("stdout:\n%s\nwant a line %s@<the oci: digest %s>", stdout, ref, want)
	}
	if info := e2eInspect(t, "docker://"+ref, "--tls-verify=false"); info.Digest != want {
		t.Errorf("skopeo inspect docker://%s: digest %s, want %s", ref, info.Digest, want)
	}
	e2ePullRun(t, ref, "hello from the registry\n")
}

// TestE2ERegistryBase builds on a base stored in the registry and pushes to
// the same registry: the base layers are mounted, never downloaded. The
// registry is on loopback, so plain HTTP needs no --insecure-registry.
func TestE2ERegistryBase(t *testing.T) {
	e2e.Require(t, "skopeo")
	reg := registrytest.New(t, registrytest.Options{})
	baseDir := filepath.Join(t.TempDir(), "base")
	info := testbase.Layout(t, baseDir)
	baseRef := reg.Host + "/lib/busybox:1"
	reg.PushLayout(t, baseDir, testbase.Ref, baseRef)
	reg.Counter.Reset()

	ref := reg.Host + "/team/app:2"
	stdout := e2eBuild(t, "-f", e2eHelloDir(t), "--arg", "BASE="+baseRef,
		"--cache-dir", t.TempDir(), "-o", "docker://"+ref)
	res := e2eResults(t, stdout)
	got := res["docker://"+ref]
	if got == "" {
		t.Fatalf("stdout %q: no line for %s", stdout, ref)
	}

	base := info.Image(t, "linux/amd64")
	for _, l := range base.Layers {
		if n := reg.Counter.Count(http.MethodGet, "/blobs/"+l.Digest.String()); n != 0 {
			t.Errorf("base layer %s was downloaded %d times, want 0 (mounted)", l.Digest, n)
		}
	}
	if in, _ := reg.Counter.Bytes(); in >= base.Layers[0].Size {
		t.Errorf("uploaded %d bytes, more than the base's busybox layer (%d): base layers were re-uploaded", in, base.Layers[0].Size)
	}
	if n := reg.Counter.Mounts(); n < len(base.Layers) {
		t.Errorf("%d successful mounts, want at least %d (one per base layer)\n%v", n, len(base.Layers), reg.Counter.Requests())
	}

	skopeoInfo := e2eInspect(t, "docker://"+ref, "--tls-verify=false")
	if skopeoInfo.Digest != got || len(skopeoInfo.Layers) != len(base.Layers)+1 {
		t.Fatalf("skopeo inspect docker://%s: digest %s with %d layers, want %s with %d", ref, skopeoInfo.Digest, len(skopeoInfo.Layers), got, len(base.Layers)+1)
	}
	for i, l := range base.Layers {
		if skopeoInfo.Layers[i] != l.Digest {
			t.Errorf("pushed layer %d = %s, want the base's %s", i, skopeoInfo.Layers[i], l.Digest)
		}
	}
	// The mounted layers are served from the new repository.
	e2ePullRun(t, ref, "hello from the registry\n")
}

// e2ePullRun pulls ref from the test registry with podman, runs it and
// checks what it prints; the image is removed when the test ends.
func e2ePullRun(t *testing.T, ref, want string) {
	t.Helper()
	podman := e2e.Require(t, "podman")
	e2e.Require(t, "runc")
	t.Cleanup(func() { e2ePodmanRmi(t, podman, ref) })
	e2e.Run(t, podman, "pull", "--quiet", "--tls-verify=false", ref)
	runArgs := append(append([]string{"run", "--rm"}, e2e.PodmanRunFlags()...), ref)
	if got := e2e.Run(t, podman, runArgs...); got != want {
		t.Errorf("podman run %s printed %q, want %q", ref, got, want)
	}
}

// TestE2ERegistryPushIndex pushes a two-platform build: the index gets the
// tag, the platform manifests go by digest, and a second push of the same
// build uploads nothing.
func TestE2ERegistryPushIndex(t *testing.T) {
	skopeo := e2e.Require(t, "skopeo")
	reg := registrytest.New(t, registrytest.Options{})
	ref := reg.Host + "/multi:1"
	specPath, cache := e2eHelloDir(t), t.TempDir()
	for i := range 2 {
		reg.Counter.Reset()
		layout := filepath.Join(t.TempDir(), "layout")
		res := e2eResults(t, e2eBuild(t, "-f", specPath, "--platform", "linux/amd64,linux/arm64",
			"--cache-dir", cache, "-o", "docker://"+ref, "-o", "oci:"+layout))
		want := res["oci:"+layout]
		if got := res["docker://"+ref]; got != want {
			t.Fatalf("push %d: pushed %s, the oci: output is %s", i, got, want)
		}
		if n := reg.Counter.Count(http.MethodPut, "/manifests/1"); n > 1 || (i == 0 && n != 1) {
			t.Errorf("push %d: %d PUTs of the tag, want 1 (the index only)\n%v", i, n, reg.Counter.Requests())
		}
		var local ocispec.Index
		e2eJSON(t, "index", e2eBlob(t, layout, want), &local)
		for _, d := range local.Manifests {
			if n := reg.Counter.Count(http.MethodPut, "/manifests/"+d.Digest.String()); i == 0 && n != 1 {
				t.Errorf("platform manifest %s: %d PUTs by digest, want 1", d.Digest, n)
			}
		}
		if in, _ := reg.Counter.Bytes(); i == 1 && in != 0 {
			t.Errorf("second push uploaded %d bytes, want 0\n%v", in, reg.Counter.Requests())
		}
	}
	var idx ocispec.Index
	e2eJSON(t, "skopeo inspect --raw", []byte(e2e.Run(t, skopeo, "inspect", "--tls-verify=false", "--raw", "docker://"+ref)), &idx)
	if idx.MediaType != ocispec.MediaTypeImageIndex || len(idx.Manifests) != 2 {
		t.Fatalf("docker://%s is %s with %d manifests, want an index of 2", ref, idx.MediaType, len(idx.Manifests))
	}
	for _, arch := range []string{"amd64", "arm64"} {
		if info := e2eInspect(t, "docker://"+ref, "--tls-verify=false", "--override-arch", arch); info.Architecture != arch {
			t.Errorf("skopeo inspect --override-arch %s docker://%s: architecture %s", arch, ref, info.Architecture)
		}
	}
}
