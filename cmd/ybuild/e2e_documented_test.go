package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/internal/e2e"
	"github.com/ybuild/ybuild/internal/tartest"
	"github.com/ybuild/ybuild/internal/testbase"
)

// TestFilesOnTopOfLayers checks what docs/format.md says of a top-level
// files: list next to layers: it is one more layer, on top of the others
// (it was refused: "files and layers cannot be used together").
func TestFilesOnTopOfLayers(t *testing.T) {
	file := cliSpecDir(t, map[string]string{"build.yaml": `apiVersion: ybuild/v1
base: scratch
layers:
  - name: first
    files: [{content: "from the layer\n", dst: /etc/motd}]
files:
  - {content: "from files\n", dst: /etc/motd}
  - {content: "top\n", dst: /top}
`})
	layout := filepath.Join(t.TempDir(), "out")
	d := cliOneResult(t, cliBuild(t, "-f", file, "-o", "oci:"+layout), "oci:"+layout)
	m := e2eManifest(t, layout, d)
	if len(m.Layers) != 2 {
		t.Fatalf("%d layers, want 2 (layers: then files:)", len(m.Layers))
	}
	if got := e2eLayerFiles(t, layout, m.Layers[0].Digest)["etc/motd"]; got != "from the layer\n" {
		t.Errorf("layer 0 /etc/motd = %q, want the layers: entry", got)
	}
	top := e2eLayerFiles(t, layout, m.Layers[1].Digest)
	if top["etc/motd"] != "from files\n" || top["top"] != "top\n" {
		t.Errorf("layer 1 = %q, want the files: entries on top", top)
	}
}

// TestFilesAndLayersErrorsNameFiles checks that a problem in a top-level
// files: entry next to layers: is reported under files[…] at its line.
func TestFilesAndLayersErrorsNameFiles(t *testing.T) {
	file := cliSpecDir(t, map[string]string{"build.yaml": "apiVersion: ybuild/v1\nbase: scratch\nlayers:\n  - files: [{content: x, dst: /a}]\nfiles:\n  - {content: y, dst: b}\n"})
	r := cliRun("validate", "-f", file)
	if r.code != exitUsage || !strings.Contains(r.stderr, "build.yaml:6:23: files[0].dst: must be an absolute path") {
		t.Errorf("exit %d, stderr %q; want exit 2 naming files[0].dst at 6:23", r.code, r.stderr)
	}
}

// TestDockerFormatUncompressed builds format: docker with compression:
// none, as docs/format.md lists (…rootfs.diff.tar; it was refused), and
// checks the layer is a plain tar that podman loads and runs.
func TestDockerFormatUncompressed(t *testing.T) {
	dir := t.TempDir()
	testbase.Layout(t, filepath.Join(dir, "base"))
	e2eWriteFiles(t, dir, map[string]string{"build.yaml": `apiVersion: ybuild/v1
base: oci:base:latest
format: docker
compression: none
tags: [localhost/ybuild-e2e-docker-none:1]
files:
  - {content: "plain tar\n", dst: /hello.txt}
config:
  entrypoint: [/bin/cat, /hello.txt]
`})
	out := t.TempDir()
	layout, archive := filepath.Join(out, "layout"), filepath.Join(out, "img.tar")
	res := e2eResults(t, cliBuild(t, "-f", filepath.Join(dir, "build.yaml"), "--platform", "linux/amd64",
		"-o", "oci:"+layout, "-o", "docker-archive:"+archive))
	m := e2eManifest(t, layout, res["oci:"+layout])
	if m.MediaType != imageio.MediaTypeDockerManifest {
		t.Errorf("manifest media type %q, want %s", m.MediaType, imageio.MediaTypeDockerManifest)
	}
	top := m.Layers[len(m.Layers)-1]
	if top.MediaType != imageio.MediaTypeDockerLayer {
		t.Fatalf("new layer media type %q, want %s", top.MediaType, imageio.MediaTypeDockerLayer)
	}
	blob := e2eBlob(t, layout, top.Digest)
	if got := tartest.Files(tartest.Read(t, bytes.NewReader(blob), "layer")); string(got["hello.txt"]) != "plain tar\n" {
		t.Errorf("layer read as a plain tar: %q", got)
	}
	podman := e2e.Require(t, "podman")
	e2e.Require(t, "runc")
	name := "localhost/ybuild-e2e-docker-none:1"
	t.Cleanup(func() { e2ePodmanRmi(t, podman, name) })
	e2e.Run(t, podman, "load", "-i", archive)
	runArgs := append(append([]string{"run", "--rm"}, e2e.PodmanRunFlags()...), name)
	if got := e2e.Run(t, podman, runArgs...); got != "plain tar\n" {
		t.Errorf("podman run printed %q", got)
	}
}
