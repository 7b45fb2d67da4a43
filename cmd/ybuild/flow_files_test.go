package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/internal/testbase"
	"github.com/ybuild/ybuild/internal/treetest"
)

// TestFlowDryRun: --dry-run writes nothing and prints the digest the
// build then writes, with every blob to write; after the build, a dry run
// finds them all present, in the layout and in the registry.
func TestFlowDryRun(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	spec := flowAppDir(t)
	out := filepath.Join(t.TempDir(), "sub", "layout")
	ref := reg.Host + "/team/app:dry"
	args := []string{"-f", spec, "-o", "oci:" + out, "-o", "docker://" + ref}
	before := treetest.Snapshot(t, filepath.Dir(spec))
	side := filepath.Join(t.TempDir(), "side")
	dry := cliRun(append([]string{"build", "--progress", "quiet", "--dry-run", "--no-cache",
		"--metadata-file", filepath.Join(side, "m.json"), "--depfile", filepath.Join(side, "m.d")}, args...)...)
	if dry.code != 0 {
		t.Fatalf("dry run: exit %d\n%s", dry.code, dry.stderr)
	}
	if _, err := os.Stat(side); !os.IsNotExist(err) {
		t.Errorf("the dry run wrote its metadata or dependency file")
	}
	if _, err := os.Stat(filepath.Dir(out)); !os.IsNotExist(err) {
		t.Errorf("the dry run created %s", filepath.Dir(out))
	}
	treetest.Same(t, "the spec directory after a dry run", before, treetest.Snapshot(t, filepath.Dir(spec)))
	if reg.Counter.Count("PUT", "") != 0 || reg.Counter.Count("POST", "") != 0 {
		t.Errorf("the dry run wrote to the registry: %v", reg.Counter.Requests())
	}
	if !strings.Contains(dry.stdout, "oci:"+out+": 4 blobs to write") || !strings.Contains(dry.stdout, "docker://"+ref+": 4 blobs to write") {
		t.Errorf("dry run output:\n%s\nwant 4 blobs (2 layers, config, manifest) to write per output", dry.stdout)
	}
	built := cliBuild(t, args...)
	d := e2eResults(t, built)["oci:"+out]
	if !strings.HasPrefix(dry.stdout, "dry run: would build "+d.String()) {
		t.Errorf("dry run said:\n%s\nthe build wrote %s", dry.stdout, d)
	}
	again := cliRun(append([]string{"build", "--progress", "quiet", "--dry-run", "--json"}, args...)...)
	var plan buildPlan
	cliMust(t, json.Unmarshal([]byte(again.stdout), &plan))
	if plan.Digest != d || len(plan.Outputs) != 2 {
		t.Fatalf("dry run --json: %+v", plan)
	}
	for _, o := range plan.Outputs {
		if len(o.Write) != 0 || len(o.Present) != 4 || o.WriteBytes != 0 {
			t.Errorf("%s after the build: %d blobs to write (%d bytes), %d present; want 0 and 4 (2 layers, config, manifest)", o.Dest, len(o.Write), o.WriteBytes, len(o.Present))
		}
	}
}

// flowMetadata reads a --metadata-file.
func flowMetadata(t *testing.T, p string) metadata {
	t.Helper()
	var m metadata
	data, err := os.ReadFile(p)
	cliMust(t, err)
	cliMust(t, json.Unmarshal(data, &m))
	return m
}

// TestFlowMetadataFile: the document names every output, the digests of
// the image, its platforms, configs and layers; when a later output fails,
// it is still written, with the error and the outputs written before.
func TestFlowMetadataFile(t *testing.T) {
	spec := flowAppDir(t)
	out := filepath.Join(t.TempDir(), "layout")
	meta := filepath.Join(t.TempDir(), "meta", "app.json")
	stdout := cliBuild(t, "-f", spec, "-o", "oci:"+out, "--metadata-file", meta, "-t", "example.com/app:1")
	d := cliOneResult(t, stdout, "oci:"+out)
	m := flowMetadata(t, meta)
	if m.SchemaVersion != 1 || m.Error != "" || len(m.Builds) != 1 {
		t.Fatalf("metadata: %+v", m)
	}
	b := m.Builds[0]
	if b.Digest != d || b.Spec != spec || len(b.Outputs) != 1 || b.Outputs[0].Digest != d || len(b.Platforms) != 1 ||
		len(b.Tags) != 1 || b.Tags[0] != "example.com/app:1" {
		t.Fatalf("metadata build: %+v", b)
	}
	p := b.Platforms[0]
	man := e2eManifest(t, out, p.Digest)
	if p.Platform != "linux/amd64" || p.Config.Digest != man.Config.Digest || len(p.Layers) != 2 || p.Layers[1].Digest != man.Layers[1].Digest || p.Layers[1].Size != man.Layers[1].Size {
		t.Errorf("metadata platform %+v, manifest %+v", p, man)
	}

	// A push that cannot reach its registry after a layout was written.
	out2 := filepath.Join(t.TempDir(), "layout")
	res := cliRun("build", "--progress", "quiet", "--no-cache", "-f", spec, "-o", "oci:"+out2, "-o", "docker://127.0.0.1:1/app:1", "--metadata-file", meta)
	if res.code != exitBuild {
		t.Fatalf("build with an unreachable push: exit %d\n%s", res.code, res.stderr)
	}
	m = flowMetadata(t, meta)
	if m.Error == "" || !strings.Contains(m.Error, "127.0.0.1:1") || len(m.Builds[0].Outputs) != 1 || m.Builds[0].Outputs[0].Dest != "oci:"+out2 || m.Builds[0].Digest != d {
		t.Errorf("metadata after a partial failure: %+v", m)
	}
	entries, _ := os.ReadDir(filepath.Dir(meta))
	if len(entries) != 1 {
		t.Errorf("%s holds %d entries, want only the metadata file (no temp files)", filepath.Dir(meta), len(entries))
	}
}

// TestFlowManySpecs: several specs in one call share a registry base,
// which is resolved once; each gets one line; one that fails is named and
// the others are built.
func TestFlowManySpecs(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	baseDir := filepath.Join(t.TempDir(), "base")
	flowPushScratchBase(t, reg, baseDir, reg.Host+"/lib/small:1")
	root := t.TempDir()
	var files []string
	for _, n := range []string{"a", "b", "c"} {
		spec := strings.Replace(flowManySpec, "NAME", n, -1)
		spec = strings.Replace(spec, "BASE", reg.Host+"/lib/small:1", 1)
		e2eWriteFiles(t, filepath.Join(root, n), map[string]string{"build.yaml": spec})
		files = append(files, filepath.Join(root, n, "build.yaml"))
	}
	reg.Counter.Reset()
	res := cliRun(append([]string{"build", "--progress", "quiet", "--cache-dir", t.TempDir(), "--jobs", "2"}, files...)...)
	if res.code != 0 {
		t.Fatalf("build of 3 specs: exit %d\n%s", res.code, res.stderr)
	}
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	if len(lines) != 3 {
		t.Fatalf("stdout:\n%s\nwant one line per spec", res.stdout)
	}
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) != 3 || f[0] != files[i] || digest.Digest(f[1]).Validate() != nil {
			t.Errorf("line %q: want SPEC DIGEST DEST for %s", l, files[i])
		}
	}
	if n := len(flowTagRequests(reg, "1")); n != 1 {
		t.Errorf("the shared base's tag was resolved %d times, want 1", n)
	}

	// One spec names a base the registry does not have.
	cliMust(t, os.WriteFile(files[1], []byte(strings.Replace(mustRead(t, files[1]), "lib/small:1", "lib/none:1", 1)), 0o644))
	meta := filepath.Join(t.TempDir(), "all.json")
	res = cliRun(append([]string{"build", "--progress", "quiet", "--cache-dir", t.TempDir(), "--metadata-file", meta, "-f", files[0], "-f", files[1]}, files[2])...)
	if res.code != exitBuild || strings.Count(res.stdout, "\n") != 2 {
		t.Fatalf("build with one failing spec: exit %d, want 1 and two result lines\n%s%s", res.code, res.stdout, res.stderr)
	}
	cliCheckStderr(t, res.stderr, files[1]+": ", "1 of 3 specs failed: "+files[1])
	m := flowMetadata(t, meta)
	if len(m.Builds) != 3 || m.Error == "" || m.Builds[1].Error == "" || m.Builds[1].Digest != "" ||
		m.Builds[0].Error != "" || m.Builds[0].Digest == "" || m.Builds[2].Spec != files[2] || len(m.Builds[2].Outputs) != 1 {
		t.Errorf("metadata of three specs, the second failing: %+v", m)
	}
}

// flowManySpec is one of several specs on a shared registry base.
const flowManySpec = `apiVersion: ybuild/v1
name: NAME
base: BASE
created: 2024-01-02T03:04:05Z
files:
  - {content: "NAME\n", dst: /NAME.txt}
`

// flowPushScratchBase builds a one-file image from scratch into a layout
// and pushes it to ref.
func flowPushScratchBase(t *testing.T, reg *registrytest.Registry, layout, ref string) {
	t.Helper()
	spec := cliSpecDir(t, map[string]string{"build.yaml": "apiVersion: ybuild/v1\nname: small\nbase: scratch\nfiles:\n  - {content: \"base\\n\", dst: /base.txt}\n"})
	cliBuild(t, "-f", spec, "-o", "oci:"+layout)
	reg.PushLayout(t, layout, "", ref)
}

// TestFlowDryRunMount: a dry run of a push to the registry that holds the
// base counts the base layer as present (a push mounts it) and only the new
// blobs as to upload, without uploading anything.
func TestFlowDryRunMount(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	base := reg.Host + "/lib/small:1"
	flowPushScratchBase(t, reg, filepath.Join(t.TempDir(), "base"), base)
	spec := cliSpecDir(t, map[string]string{"build.yaml": strings.Replace(strings.Replace(flowManySpec, "NAME", "m", -1), "BASE", base, 1)})
	reg.Counter.Reset()
	res := cliRun("build", "--progress", "quiet", "--dry-run", "--json", "--cache-dir", t.TempDir(), "-f", spec, "-o", "docker://"+reg.Host+"/team/m:1")
	if res.code != 0 {
		t.Fatalf("dry run: exit %d\n%s", res.code, res.stderr)
	}
	var plan buildPlan
	cliMust(t, json.Unmarshal([]byte(res.stdout), &plan))
	if len(plan.Outputs) != 1 || len(plan.Outputs[0].Present) != 1 || len(plan.Outputs[0].Write) != 3 {
		t.Fatalf("plan %+v: want the base layer present, the new layer, config and manifest to write", plan)
	}
	if n := reg.Counter.Count("PUT", "") + reg.Counter.Count("POST", "") + reg.Counter.Count("PATCH", ""); n != 0 {
		t.Errorf("the dry run sent %d writes: %v", n, reg.Counter.Requests())
	}
}

// TestFlowManySharedLayout: specs of one call that write into the same OCI
// layout (each its own ref, or the same spec given twice) all land: no
// "file exists" from two renames of a new layout, no image dropped by
// two index.json rewrites racing.
func TestFlowManySharedLayout(t *testing.T) {
	root := t.TempDir()
	t.Chdir(root) // a spec's outputs must be under the working directory (or the spec's)
	shared := filepath.Join(root, "shared")
	var files []string
	for i := range 8 {
		spec := fmt.Sprintf("apiVersion: ybuild/v1\nbase: scratch\noutputs: [\"oci:%s:r%d\"]\nfiles:\n  - {content: \"%d\\n\", dst: /n}\n", shared, i, i)
		e2eWriteFiles(t, filepath.Join(root, fmt.Sprint(i)), map[string]string{"build.yaml": spec})
		files = append(files, filepath.Join(root, fmt.Sprint(i), "build.yaml"))
	}
	for round := range 2 {
		cliMust(t, os.RemoveAll(shared))
		args := append([]string{"build", "--progress", "quiet", "--no-cache", "--jobs", "8"}, files...)
		if round == 1 {
			args = append(args, files[0]) // the same spec twice
		}
		if res := cliRun(args...); res.code != 0 {
			t.Fatalf("round %d: exit %d\n%s", round, res.code, res.stderr)
		}
		refs := map[string]bool{}
		for _, m := range testbase.ReadIndex(t, shared).Manifests {
			if r := m.Annotations[ocispec.AnnotationRefName]; r != "" { // attachments have none
				refs[r] = true
			}
		}
		if len(refs) != 8 {
			t.Fatalf("round %d: the shared layout holds refs %v, want r0…r7", round, refs)
		}
	}
}

// TestFlowDepfileNoTarget: --depfile with neither --metadata-file nor a
// local output is bad input, refused (exit 2) before anything is pushed,
// with one spec or several.
func TestFlowDepfileNoTarget(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	a := cliSpecDir(t, map[string]string{"build.yaml": "apiVersion: ybuild/v1\nname: a\nbase: scratch\nfiles:\n  - {content: \"a\\n\", dst: /a}\n"})
	b := cliSpecDir(t, map[string]string{"build.yaml": "apiVersion: ybuild/v1\nname: b\nbase: scratch\n" +
		"outputs: [\"docker://" + reg.Host + "/team/b:1\"]\nfiles:\n  - {content: \"b\\n\", dst: /b}\n"})
	dep := filepath.Join(t.TempDir(), "x.d")
	for name, args := range map[string][]string{
		"one spec":   {"-f", a, "-o", "docker://" + reg.Host + "/team/a:1"},
		"many specs": {b, b},
	} {
		reg.Counter.Reset()
		res := cliRun(append([]string{"build", "--progress", "quiet", "--no-cache", "--depfile", dep}, args...)...)
		if res.code != exitUsage || !strings.Contains(res.stderr, "--depfile: no target") {
			t.Errorf("%s: exit %d, want 2 and no target\n%s", name, res.code, res.stderr)
		}
		for _, r := range reg.Counter.Requests() {
			if r.Method != "GET" && r.Method != "HEAD" {
				t.Errorf("%s: the refused build sent %s", name, r)
			}
		}
	}
}

// TestFlowMetadataToFIFO: a --metadata-file that exists and is not a
// regular file (a FIFO here; /dev/stdout or /dev/null in practice) is
// written to, not replaced by a regular file.
func TestFlowMetadataToFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "meta")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0) // so that the writer's open does not wait
	cliMust(t, err)
	defer r.Close()
	spec := cliSpecDir(t, map[string]string{"build.yaml": "apiVersion: ybuild/v1\nbase: scratch\nfiles:\n  - {content: \"a\\n\", dst: /a}\n"})
	cliBuild(t, "-f", spec, "-o", "oci:"+filepath.Join(dir, "out"), "--metadata-file", fifo)
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced: %v, %v", fi.Mode(), err)
	}
	data, _ := io.ReadAll(r)
	var m metadata
	if err := json.Unmarshal(data, &m); err != nil || len(m.Builds) != 1 {
		t.Errorf("read from the FIFO %q: %v", data, err)
	}
}
