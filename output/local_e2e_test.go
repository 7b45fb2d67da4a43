package output_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/ybuild/ybuild/internal/e2e"
	"github.com/ybuild/ybuild/output"
)

// skopeoInfo is what the tests read from `skopeo inspect`.
type skopeoInfo struct {
	Digest       digest.Digest
	Layers       []string
	Architecture string
	Os           string
	Env          []string
}

// inspect runs `skopeo inspect ref` and decodes it.
func inspect(t *testing.T, skopeo, ref string) skopeoInfo {
	t.Helper()
	out := e2e.Run(t, skopeo, "inspect", ref)
	var info skopeoInfo
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("skopeo inspect %s: %v\n%s", ref, err, out)
	}
	return info
}

// rawDigest returns the digest of `skopeo inspect --raw ref`: the top-level
// manifest or index exactly as stored.
func rawDigest(t *testing.T, skopeo, ref string) digest.Digest {
	t.Helper()
	return digest.FromString(e2e.Run(t, skopeo, "inspect", "--raw", ref))
}

// TestLayoutE2E checks written layouts with skopeo (inspect, copy) and
// umoci (unpack).
func TestLayoutE2E(t *testing.T) {
	skopeo := e2e.Require(t, "skopeo")
	umoci := e2e.Require(t, "umoci")
	f := newFixture(t)
	img := f.image(t, "hello from ybuild\n")
	all := f.imageAll(t, "hello from ybuild\n")
	dir := filepath.Join(t.TempDir(), "out")
	write(t, "oci:"+dir+":one", output.Options{}, img)
	write(t, "oci:"+dir+":all", output.Options{}, all)

	info := inspect(t, skopeo, "oci:"+dir+":one")
	if info.Digest != img.Desc.Digest || len(info.Layers) != len(img.Manifests[0].Layers) || info.Architecture != "amd64" {
		t.Errorf("skopeo: %s, %d layers, %s; want %s, %d layers, amd64", info.Digest, len(info.Layers), info.Architecture, img.Desc.Digest, len(img.Manifests[0].Layers))
	}
	for i, l := range img.Manifests[0].Layers {
		if i < len(info.Layers) && info.Layers[i] != l.Digest.String() {
			t.Errorf("skopeo layer %d: %s, want %s", i, info.Layers[i], l.Digest)
		}
	}
	if got := rawDigest(t, skopeo, "oci:"+dir+":all"); got != all.Desc.Digest {
		t.Errorf("skopeo reads the index as %s, want %s", got, all.Desc.Digest)
	}
	// skopeo reports the index's digest and the config of the platform it picks.
	if info := inspect(t, skopeo, "oci:"+dir+":all"); info.Digest != all.Desc.Digest || info.Architecture != "amd64" || len(info.Layers) != len(all.Manifests[0].Layers) {
		t.Errorf("skopeo: index %s, %s with %d layers; want %s, amd64 with %d", info.Digest, info.Architecture, len(info.Layers), all.Desc.Digest, len(all.Manifests[0].Layers))
	}

	other := filepath.Join(t.TempDir(), "copy")
	e2e.Run(t, skopeo, "copy", "oci:"+dir+":one", "oci:"+other+":copied")
	e2e.Run(t, skopeo, "copy", "--all", "oci:"+dir+":all", "oci:"+other+":all")
	if got := openDigest(t, "oci:"+other+":copied"); got != img.Desc.Digest {
		t.Errorf("skopeo copy: %s, want %s", got, img.Desc.Digest)
	}
	if got := openDigest(t, "oci:"+other+":all"); got != all.Desc.Digest {
		t.Errorf("skopeo copy --all: %s, want %s", got, all.Desc.Digest)
	}

	// umoci unpacks single manifests only ("tag is ambiguous" for an index).
	for _, ref := range []string{"one"} {
		bundle := filepath.Join(t.TempDir(), "bundle")
		e2e.Run(t, umoci, "unpack", "--rootless", "--image", dir+":"+ref, bundle)
		got, err := os.ReadFile(filepath.Join(bundle, "rootfs", "hello.txt"))
		if err != nil || string(got) != "hello from ybuild\n" {
			t.Errorf("umoci %s: /hello.txt %q, %v", ref, got, err)
		}
		fi, err := os.Stat(filepath.Join(bundle, "rootfs", "bin", "busybox"))
		if err != nil || fi.Mode()&0o111 == 0 {
			t.Errorf("umoci %s: /bin/busybox %v, %v", ref, fi, err)
		}
		if _, err := os.Stat(filepath.Join(bundle, "config.json")); err != nil {
			t.Errorf("umoci %s: %v", ref, err)
		}
	}
}

// TestOCIArchiveE2E checks an OCI archive with skopeo inspect and copy.
func TestOCIArchiveE2E(t *testing.T) {
	skopeo := e2e.Require(t, "skopeo")
	f := newFixture(t)
	img := f.image(t, "hello\n")
	all := f.imageAll(t, "hello\n")
	root := t.TempDir()
	one := filepath.Join(root, "one.tar")
	idx := filepath.Join(root, "all.tar")
	write(t, "oci-archive:"+one, output.Options{Tags: []string{"app:1"}}, img)
	write(t, "oci-archive:"+idx, output.Options{}, all)

	for _, ref := range []string{"oci-archive:" + one, "oci-archive:" + one + ":1"} {
		info := inspect(t, skopeo, ref)
		if info.Digest != img.Desc.Digest || len(info.Layers) != len(img.Manifests[0].Layers) {
			t.Errorf("skopeo %s: %s with %d layers, want %s with %d", ref, info.Digest, len(info.Layers), img.Desc.Digest, len(img.Manifests[0].Layers))
		}
	}
	if got := rawDigest(t, skopeo, "oci-archive:"+idx); got != all.Desc.Digest {
		t.Errorf("skopeo reads the index as %s, want %s", got, all.Desc.Digest)
	}
	out := filepath.Join(root, "copy")
	e2e.Run(t, skopeo, "copy", "--all", "oci-archive:"+idx, "oci:"+out+":x")
	if got := openDigest(t, "oci:"+out+":x"); got != all.Desc.Digest {
		t.Errorf("skopeo copy: %s, want %s", got, all.Desc.Digest)
	}
}

// TestDockerArchiveE2E checks a docker archive with skopeo inspect, then
// loads it with podman under its names and runs it.
func TestDockerArchiveE2E(t *testing.T) {
	skopeo := e2e.Require(t, "skopeo")
	f := newFixture(t)
	img := f.image(t, "hello from ybuild\n")
	m := img.Manifests[0]
	root := t.TempDir()
	// Names unique to this process, so concurrent runs do not collide.
	tag := fmt.Sprintf("e2e-%d", os.Getpid())
	name := "localhost/ybuild-output-test:" + tag
	one := filepath.Join(root, "one.tar")
	write(t, "docker-archive:"+one, output.Options{Tags: []string{name}}, img)
	two := filepath.Join(root, "two.tar")
	names := []string{"docker.io/ybuild-test/output-a:" + tag, "localhost/ybuild-output-b:" + tag}
	write(t, "docker-archive:"+two, output.Options{Tags: []string{"ybuild-test/output-a:" + tag, "localhost/ybuild-output-b:" + tag}}, img)

	for _, file := range []string{one, two} {
		info := inspect(t, skopeo, "docker-archive:"+file)
		if len(info.Layers) != len(m.Layers) || info.Architecture != "amd64" || info.Os != "linux" {
			t.Errorf("skopeo %s: %d layers, %s/%s; want %d, linux/amd64", file, len(info.Layers), info.Os, info.Architecture, len(m.Layers))
		}
	}
	for _, n := range names {
		info := inspect(t, skopeo, "docker-archive:"+two+":"+n)
		if len(info.Layers) != len(m.Layers) {
			t.Errorf("skopeo %s: %d layers", n, len(info.Layers))
		}
	}

	podman := e2e.Require(t, "podman")
	e2e.Require(t, "runc")
	load := func(file string, names ...string) {
		t.Helper()
		// Not e2e.Try: t.Context() is already cancelled when cleanups run.
		t.Cleanup(func() {
			args := append([]string{"rmi", "-f"}, names...)
			if out, err := e2e.Output(podman, args...); err != nil {
				t.Logf("podman rmi: %v\n%s", err, out)
			}
		})
		out := e2e.Run(t, podman, "load", "-i", file)
		for _, n := range names {
			if !strings.Contains(out, n) {
				t.Errorf("podman load %s: %q does not name %s", file, out, n)
			}
			if _, err := e2e.Try(t, podman, "image", "exists", n); err != nil {
				t.Errorf("podman load %s: %s is not there: %v", file, n, err)
			}
		}
	}
	load(one, name)
	load(two, names...)

	args := append(append([]string{"run", "--rm"}, e2e.PodmanRunFlags()...), name, "/bin/busybox", "echo", "hi")
	if got := e2e.Run(t, podman, args...); strings.TrimSpace(got) != "hi" {
		t.Errorf("podman run printed %q, want hi", got)
	}
	args = append(append([]string{"run", "--rm"}, e2e.PodmanRunFlags()...), names[1], "/bin/cat", "/hello.txt")
	if got := e2e.Run(t, podman, args...); got != "hello from ybuild\n" {
		t.Errorf("podman run cat printed %q", got)
	}
}
