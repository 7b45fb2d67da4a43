package output_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ybuild/ybuild/internal/e2e"
	"github.com/ybuild/ybuild/internal/registrytest"
)

// TestPushE2E pushes a busybox-based image to a registry and checks it with
// skopeo inspect, then pulls and runs it with podman.
func TestPushE2E(t *testing.T) {
	skopeo := e2e.Require(t, "skopeo")
	podman := e2e.Require(t, "podman")
	e2e.Require(t, "runc")
	reg, _ := seedBase(t, registrytest.Options{})
	ropts := &testOpts{CacheDir: t.TempDir()}
	img := buildOn(t, openBase(t, reg.Host+"/lib/busybox:1", false, ropts))
	ref := reg.Host + "/e2e/hello:1"
	if _, err := push(t, img, ref, ropts); err != nil {
		t.Fatal(err)
	}

	out := e2e.Run(t, skopeo, "inspect", "--tls-verify=false", "docker://"+ref)
	var info struct {
		Digest string
		Layers []string
	}
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("skopeo inspect output: %v\n%s", err, out)
	}
	if info.Digest != img.Desc.Digest.String() || len(info.Layers) != len(img.Manifests[0].Layers) {
		t.Fatalf("skopeo: digest %s with %d layers, want %s with %d", info.Digest, len(info.Layers), img.Desc.Digest, len(img.Manifests[0].Layers))
	}

	e2e.Run(t, podman, "pull", "--tls-verify=false", ref)
	t.Cleanup(func() { _, _ = e2e.Output(podman, "rmi", "-f", ref) })
	got := e2e.Run(t, podman, "run", "--rm", "--runtime", "runc",
		"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--network", "none",
		ref, "/bin/cat", "/hello.txt")
	if strings.TrimSpace(got) != "hello from ybuild" {
		t.Fatalf("podman run printed %q", got)
	}
}
