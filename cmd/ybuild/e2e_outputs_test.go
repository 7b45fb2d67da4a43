package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/e2e"
)

// e2eSkopeoInspect is the part of `skopeo inspect` output the tests read.
type e2eSkopeoInspect struct {
	Digest       digest.Digest
	Architecture string
	Os           string
	Layers       []digest.Digest
	Env          []string
}

// e2eInspect runs `skopeo inspect [flags] REF` and decodes its output.
func e2eInspect(t *testing.T, ref string, flags ...string) e2eSkopeoInspect {
	t.Helper()
	skopeo := e2e.Require(t, "skopeo")
	out := e2e.Run(t, skopeo, append(append([]string{"inspect"}, flags...), ref)...)
	var info e2eSkopeoInspect
	e2eJSON(t, "skopeo inspect "+ref, []byte(out), &info)
	return info
}

// TestE2EOutputsSkopeo writes the full spec to every local output kind at
// once and checks each with skopeo against ybuild's stdout.
func TestE2EOutputsSkopeo(t *testing.T) {
	skopeo := e2e.Require(t, "skopeo")
	specPath := e2eFullDir(t)
	out := t.TempDir()
	layout, ociTar, dockerTar := filepath.Join(out, "layout"), filepath.Join(out, "oci.tar"), filepath.Join(out, "docker.tar")
	dests := []string{"oci:" + layout + ":v1", "oci-archive:" + ociTar, "docker-archive:" + dockerTar}
	args := []string{"-f", specPath, "--platform", "linux/amd64"}
	for _, d := range dests {
		args = append(args, "-o", d)
	}
	res := e2eResults(t, e2eBuild(t, args...))
	if len(res) != len(dests) {
		t.Fatalf("stdout results %v, want %d", res, len(dests))
	}
	want := res[dests[0]]
	m := e2eManifest(t, layout, want)
	var layers []digest.Digest
	for _, l := range m.Layers {
		layers = append(layers, l.Digest)
	}

	for _, ref := range []string{"oci:" + layout + ":v1", "oci-archive:" + ociTar} {
		info := e2eInspect(t, ref)
		if info.Digest != want {
			t.Errorf("skopeo inspect %s: digest %s, want %s", ref, info.Digest, want)
		}
		if info.Architecture != "amd64" || info.Os != "linux" || !slices.Equal(info.Layers, layers) {
			t.Errorf("skopeo inspect %s: %s/%s layers %v, want linux/amd64 %v", ref, info.Os, info.Architecture, info.Layers, layers)
		}
	}
	if got := res[dests[1]]; got != want {
		t.Errorf("stdout: %s %s, want the oci: digest %s", dests[1], got, want)
	}
	if got := res[dests[2]]; got != want {
		t.Errorf("stdout: %s %s, want the digest of its one manifest, %s", dests[2], got, want)
	}

	// skopeo reads docker archives through manifest.json and makes up its
	// own manifest: compare the config and the layers.
	ref := "docker-archive:" + dockerTar
	cfg := e2e.Run(t, skopeo, "inspect", "--config", "--raw", ref)
	if got := digest.FromString(cfg); got != m.Config.Digest {
		t.Errorf("skopeo inspect --config %s: config digest %s, want %s", ref, got, m.Config.Digest)
	}
	var raw ocispec.Manifest
	e2eJSON(t, "skopeo inspect --raw "+ref, []byte(e2e.Run(t, skopeo, "inspect", "--raw", ref)), &raw)
	if raw.Config.Digest != m.Config.Digest || len(raw.Layers) != len(m.Layers) {
		t.Fatalf("skopeo inspect --raw %s: config %s with %d layers, want %s with %d", ref, raw.Config.Digest, len(raw.Layers), m.Config.Digest, len(m.Layers))
	}
	// skopeo names docker-archive layers by their diff IDs (it decompresses them).
	var ic ocispec.Image
	e2eJSON(t, "config", e2eBlob(t, layout, m.Config.Digest), &ic)
	for i, l := range raw.Layers {
		if l.Digest != ic.RootFS.DiffIDs[i] && l.Digest != m.Layers[i].Digest {
			t.Errorf("skopeo inspect --raw %s: layer %d is %s, want %s or its diff ID %s", ref, i, l.Digest, m.Layers[i].Digest, ic.RootFS.DiffIDs[i])
		}
	}
	info := e2eInspect(t, ref)
	if info.Architecture != "amd64" || !slices.Contains(info.Env, "GREETING=hi from ybuild") {
		t.Errorf("skopeo inspect %s: architecture %s, env %v, want amd64 and GREETING", ref, info.Architecture, info.Env)
	}
}

// TestE2EPodmanLoad loads docker archives into podman and runs them: the
// image is named after the spec's first tag, fully qualified, or
// localhost/<name>:latest without tags.
func TestE2EPodmanLoad(t *testing.T) {
	podman := e2e.Require(t, "podman")
	e2e.Require(t, "runc")
	id := e2eID()
	for _, tc := range []struct {
		name  string
		args  []string
		want  string
		other []string // further names the archive carries
	}{
		{"tagged", []string{"-t", id + ":v1", "-t", "example.com/" + id + "/app:2"},
			"docker.io/library/" + id + ":v1", []string{"example.com/" + id + "/app:2"}},
		{"untagged", []string{"--arg", "IMAGE=" + id}, "localhost/" + id + ":latest", nil},
		// umoci 0.4 cannot unpack zstd layers; podman can.
		{"zstd", []string{"-t", id + ":zstd", "--arg", "COMPRESSION=zstd"}, "docker.io/library/" + id + ":zstd", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			specPath := e2eFullDir(t)
			archive := filepath.Join(t.TempDir(), "image.tar")
			args := append([]string{"-f", specPath, "--platform", "linux/amd64", "-o", "docker-archive:" + archive}, tc.args...)
			e2eBuild(t, args...)
			names := append([]string{tc.want}, tc.other...)
			t.Cleanup(func() {
				for _, n := range names {
					e2ePodmanRmi(t, podman, n)
				}
			})
			loaded := e2e.Run(t, podman, "load", "-i", archive)
			for _, n := range names {
				if !strings.Contains(loaded, n) {
					t.Errorf("podman load printed %q, want the name %s", loaded, n)
				}
			}
			runArgs := append(append([]string{"run", "--rm"}, e2e.PodmanRunFlags()...), tc.want)
			if got := e2e.Run(t, podman, runArgs...); got != e2eFullOutput {
				t.Errorf("podman run %s printed:\n%s\nwant:\n%s", tc.want, got, e2eFullOutput)
			}
		})
	}
}

// e2ePodmanRmi removes an image from podman's store, if present.
func e2ePodmanRmi(t *testing.T, podman, image string) {
	t.Helper()
	_, _ = e2e.Output(podman, "rmi", "--force", image)
}
