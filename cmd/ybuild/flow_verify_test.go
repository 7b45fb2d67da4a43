package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ybuild/ybuild/imagediff"
	"github.com/ybuild/ybuild/internal/registrytest"
)

// flowAppSpec copies app/ into the image and sets an env var.
const flowAppSpec = `apiVersion: ybuild/v1
name: app
base: scratch
created: 2024-01-02T03:04:05Z
layers:
  - name: app
    files:
      - {src: app/, dst: /app/}
  - name: motd
    files:
      - {content: "hi\n", dst: /etc/motd}
config:
  env: {MODE: prod}
  entrypoint: [/app/run]
`

// flowAppDir writes the app spec and its sources; it returns the spec path.
func flowAppDir(t *testing.T) string {
	t.Helper()
	return cliSpecDir(t, map[string]string{
		"build.yaml":     flowAppSpec,
		"app/hello.txt":  "hello, world\n",
		"app/lib/x.conf": "x=1\n",
	})
}

// flowVerify runs verify and returns the result.
func flowVerify(t *testing.T, spec, target string, extra ...string) cliResult {
	t.Helper()
	return cliRun(append([]string{"verify", "-f", spec, "--no-cache", target}, extra...)...)
}

// TestFlowVerify: a pushed image and a layout built from the spec match;
// after a one-byte change, a mode change or a config change, verify exits 1
// and names the platform, layer, file and attribute (or config field).
func TestFlowVerify(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	spec := flowAppDir(t)
	dir := filepath.Dir(spec)
	ref := reg.Host + "/team/app:1"
	layout := filepath.Join(t.TempDir(), "layout")
	ociTar := filepath.Join(t.TempDir(), "app.tar")
	dockerTar := filepath.Join(t.TempDir(), "app-docker.tar")
	cliBuild(t, "-f", spec, "-o", "docker://"+ref, "-o", "oci:"+layout, "-o", "oci-archive:"+ociTar, "-o", "docker-archive:"+dockerTar)

	for _, target := range []string{"docker://" + ref, "oci:" + layout, "oci-archive:" + ociTar, "docker-archive:" + dockerTar} {
		if res := flowVerify(t, spec, target); res.code != 0 || !strings.HasPrefix(res.stdout, "match: "+target+" sha256:") {
			t.Fatalf("verify %s: exit %d\n%s%s", target, res.code, res.stdout, res.stderr)
		}
	}

	hello := filepath.Join(dir, "app", "hello.txt")
	cliMust(t, os.WriteFile(hello, []byte("hello, World\n"), 0o644))
	res := flowVerify(t, spec, "docker://"+ref)
	if res.code != 1 || !strings.Contains(res.stdout, "platform linux/amd64: layer 1 (") ||
		!strings.Contains(res.stdout, "/app/hello.txt: content sha256:") || strings.Contains(res.stdout, "size") {
		t.Errorf("verify after a one-byte change: exit %d, want 1 naming /app/hello.txt content\n%s%s", res.code, res.stdout, res.stderr)
	}

	cliMust(t, os.WriteFile(hello, []byte("hello, world\n"), 0o644))
	cliMust(t, os.Chmod(hello, 0o755))
	res = flowVerify(t, spec, "oci:"+layout)
	if res.code != 1 || !strings.Contains(res.stdout, "/app/hello.txt: mode 0644 → 0755") {
		t.Errorf("verify after chmod +x: exit %d, want 1 naming the mode\n%s%s", res.code, res.stdout, res.stderr)
	}
	cliMust(t, os.Chmod(hello, 0o644))

	res = flowVerify(t, spec, "oci:"+layout, "--arg", "X=1")
	if res.code != 0 {
		t.Fatalf("verify after reverting: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	cliMust(t, os.WriteFile(spec, []byte(strings.Replace(flowAppSpec, "MODE: prod", "MODE: dev", 1)), 0o644))
	res = flowVerify(t, spec, "oci:"+layout, "--json")
	var v verdict
	cliMust(t, json.Unmarshal([]byte(res.stdout), &v))
	if res.code != 1 || v.Match || v.Digest == v.Built || !strings.Contains(v.First, "config.Env[0]") {
		t.Errorf("verify --json after an env change: exit %d, %+v", res.code, v)
	}
	res = flowVerify(t, spec, "oci:"+layout)
	if res.code != 1 || !strings.Contains(res.stdout, `config field config.Env[0]: "MODE=prod" → "MODE=dev"`) {
		t.Errorf("verify after an env change: exit %d, want 1 naming config.Env[0]\n%s%s", res.code, res.stdout, res.stderr)
	}
}

// TestFlowVerifyBadTarget: an image that cannot be opened is one line,
// exit 2, and nothing is written.
func TestFlowVerifyBadTarget(t *testing.T) {
	spec := flowAppDir(t)
	dir := filepath.Dir(spec)
	for _, target := range []string{"docker://127.0.0.1:1/none/app:1", "oci:" + filepath.Join(dir, "missing"), "oci-archive:" + spec} {
		res := flowVerify(t, spec, target, "--cache-dir", t.TempDir())
		if res.code != exitUsage {
			t.Errorf("verify %s: exit %d, want 2\n%s", target, res.code, res.stderr)
			continue
		}
		cliCheckStderr(t, res.stderr, "open "+target)
		if n := strings.Count(strings.TrimSpace(res.stderr), "\n"); n != 0 {
			t.Errorf("verify %s: %d lines on stderr, want one:\n%s", target, n+1, res.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "build")); !os.IsNotExist(err) {
		t.Errorf("verify wrote %s/build", dir)
	}
}

// TestFlowDiff: diff between two layouts lists the changed layer with its
// files (added, removed, changed with attributes), the config fields, and
// exits 1; --json carries the same; identical images exit 0; diff -f
// compares what the spec builds.
func TestFlowDiff(t *testing.T) {
	spec := flowAppDir(t)
	dir := filepath.Dir(spec)
	a := filepath.Join(t.TempDir(), "a")
	cliBuild(t, "-f", spec, "-o", "oci:"+a)
	cliMust(t, os.WriteFile(filepath.Join(dir, "app", "hello.txt"), []byte("hello again\n"), 0o644))
	cliMust(t, os.Remove(filepath.Join(dir, "app", "lib", "x.conf")))
	cliMust(t, os.WriteFile(filepath.Join(dir, "app", "new.txt"), []byte("new\n"), 0o644))
	cliMust(t, os.WriteFile(spec, []byte(strings.Replace(flowAppSpec, "MODE: prod", "MODE: dev", 1)), 0o644))
	b := filepath.Join(t.TempDir(), "b")
	cliBuild(t, "-f", spec, "-o", "oci:"+b)

	res := cliRun("diff", "oci:"+a, "oci:"+b)
	if res.code != 1 {
		t.Fatalf("diff: exit %d, want 1\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{"linux/amd64: sha256:", `config.Env[0]: "MODE=prod" → "MODE=dev"`, "    ~ sha256:", "    = sha256:",
		"+ /app/new.txt", "- /app/lib/x.conf", "~ /app/hello.txt: content sha256:", "size 13 → 12"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("diff output:\n%s\nwant %q", res.stdout, want)
		}
	}

	res = cliRun("diff", "--json", "oci:"+a, "oci:"+b)
	var rep imagediff.Report
	cliMust(t, json.Unmarshal([]byte(res.stdout), &rep))
	if res.code != 1 || rep.Same || len(rep.Platforms) != 1 || len(rep.Platforms[0].Layers) != 2 {
		t.Fatalf("diff --json: exit %d, report %+v", res.code, rep)
	}
	files := rep.Platforms[0].Layers[0].Files
	if rep.Platforms[0].Layers[0].Status != imagediff.Changed || len(files) != 3 || files[0].Path != "/app/hello.txt" {
		t.Errorf("diff --json: first layer %+v", rep.Platforms[0].Layers[0])
	}

	if res := cliRun("diff", "oci:"+b, "oci:"+b); res.code != 0 || !strings.Contains(res.stdout, "identical") {
		t.Errorf("diff of an image with itself: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if res := cliRun("diff", "-f", spec, "--no-cache", "oci:"+b); res.code != 0 {
		t.Errorf("diff -f SPEC of what it built: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if res := cliRun("diff", "-f", spec, "--no-cache", "oci:"+a); res.code != 1 || !strings.Contains(res.stdout, "B: "+spec) {
		t.Errorf("diff -f SPEC of the old image: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if res := cliRun("diff", "oci:"+a); res.code != exitUsage {
		t.Errorf("diff with one image and no -f: exit %d, want 2", res.code)
	}
}

// TestFlowDiffCorrupt: a layer whose bytes do not match its digest is an
// error (exit 2), never "the images differ" (exit 1).
func TestFlowDiffCorrupt(t *testing.T) {
	spec := flowAppDir(t)
	a := filepath.Join(t.TempDir(), "a")
	cliBuild(t, "-f", spec, "-o", "oci:"+a)
	b := filepath.Join(t.TempDir(), "b")
	cliMust(t, os.WriteFile(filepath.Join(filepath.Dir(spec), "app", "hello.txt"), []byte("changed\n"), 0o644))
	d := cliOneResult(t, cliBuild(t, "-f", spec, "-o", "oci:"+b), "oci:"+b)
	layer := e2eManifest(t, b, d).Layers[0].Digest
	p := filepath.Join(b, "blobs", "sha256", layer.Encoded())
	data, err := os.ReadFile(p)
	cliMust(t, err)
	data[len(data)-5] ^= 0xff // inside the gzip trailer: decompresses, fails the digest
	cliMust(t, os.WriteFile(p, data, 0o644))
	res := cliRun("diff", "oci:"+a, "oci:"+b)
	if res.code != exitUsage {
		t.Fatalf("diff with a corrupt layer: exit %d, want 2\n%s%s", res.code, res.stdout, res.stderr)
	}
	cliCheckStderr(t, res.stderr, layer.String())
}
