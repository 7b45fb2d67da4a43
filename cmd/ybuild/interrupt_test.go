package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"github.com/ybuild/ybuild/internal/treetest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// interruptSpec copies ${SRC} into a scratch image.
const interruptSpec = `apiVersion: ybuild/v1
base: scratch
args: {SRC: small.txt}
files:
  - {src: "${SRC}", dst: /data/}
`

// TestInterruptKeepsOutputs runs the real ybuild process on a large source,
// sends SIGINT while the layer is being written, and checks that it exits
// 130, that the existing outputs are byte-identical, and that neither the
// output directory nor the layer cache keeps a temporary file or record.
func TestInterruptKeepsOutputs(t *testing.T) {
	root := t.TempDir()
	spec := filepath.Join(root, "spec", "build.yaml")
	e2eWriteFiles(t, filepath.Join(root, "spec"), map[string]string{"build.yaml": interruptSpec, "small.txt": "small\n"})
	writeRandom(t, filepath.Join(root, "spec", "big.bin"), 96<<20)
	out, cache := filepath.Join(root, "out"), t.TempDir()
	outputs := []string{"-o", "oci:" + filepath.Join(out, "layout"), "-o", "oci-archive:" + filepath.Join(out, "image.tar")}
	cliBuild(t, append([]string{"-f", spec}, outputs...)...)
	before := treetest.Snapshot(t, out)

	for attempt := 1; ; attempt++ {
		code, stderr, caught := interruptBuild(t, out, append([]string{"-f", spec, "--arg", "SRC=big.bin",
			"--progress", "quiet", "--cache-dir", cache}, outputs...))
		if !caught {
			if attempt < 3 {
				continue // the build finished before the layer was seen
			}
			t.Fatal("the build never got caught writing its layer")
		}
		if code != exitInterrupted || !strings.Contains(stderr, "ybuild: interrupted") || strings.Contains(stderr, "goroutine ") {
			t.Fatalf("exit %d, stderr %q; want %d and one line saying it was interrupted", code, stderr, exitInterrupted)
		}
		break
	}
	treetest.Same(t, "after SIGINT", before, treetest.Snapshot(t, out))
	if recs, _ := filepath.Glob(filepath.Join(cache, "*", "*")); len(recs) != 0 {
		t.Errorf("the layer cache kept %v after an interrupted build", recs)
	}
}

// interruptBuild starts ybuild, waits for its temporary layer file beside
// the outputs, sends SIGINT and returns the exit code and stderr; caught is
// false when the build ended before the layer file was seen.
func interruptBuild(t *testing.T, out string, args []string) (code int, stderr string, caught bool) {
	t.Helper()
	cmd := exec.Command(testExecutable(t), args...)
	cmd.Env = append(os.Environ(), "YBUILD_TEST_MAIN=1")
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	cliMust(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	pattern := filepath.Join(out, ".ybuild-work-*", "sha256", ".layer-*.tmp")
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		select {
		case <-done:
			return 0, errBuf.String(), false
		default:
		}
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			cliMust(t, cmd.Process.Signal(syscall.SIGINT))
			err := <-done
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("ybuild after SIGINT: %v", err)
			}
			return ee.ExitCode(), errBuf.String(), true
		}
		time.Sleep(time.Millisecond)
	}
	_ = cmd.Process.Kill()
	t.Fatal("ybuild neither finished nor wrote a layer in 30 s")
	return 0, "", false
}

// writeRandom writes n random (incompressible) bytes to path.
func writeRandom(t *testing.T, path string, n int) {
	t.Helper()
	data := make([]byte, n)
	_, _ = rand.Read(data)
	cliMust(t, os.WriteFile(path, data, 0o644))
}

// TestInterruptManyMetadata: SIGINT while one of several specs writes its
// layer still leaves the metadata file, with the error and every spec, as
// a single spec's build does.
func TestInterruptManyMetadata(t *testing.T) {
	root := t.TempDir()
	t.Chdir(root) // a spec's outputs must be under the working directory (or the spec's)
	out := filepath.Join(root, "out")
	spec := "apiVersion: ybuild/v1\nbase: scratch\noutputs: [\"oci:" + out + "/NAME\"]\nfiles:\n  - {src: SRC, dst: /data/}\n"
	e2eWriteFiles(t, root, map[string]string{
		"a/build.yaml": strings.NewReplacer("NAME", "a", "SRC", "small.txt").Replace(spec), "a/small.txt": "small\n",
		"b/build.yaml": strings.NewReplacer("NAME", "b", "SRC", "big.bin").Replace(spec),
	})
	writeRandom(t, filepath.Join(root, "b", "big.bin"), 48<<20)
	meta := filepath.Join(root, "meta.json")
	for attempt := 1; ; attempt++ {
		code, stderr, caught := interruptBuild(t, out, []string{"build", filepath.Join(root, "a", "build.yaml"),
			filepath.Join(root, "b", "build.yaml"), "--no-cache", "--progress", "quiet", "--metadata-file", meta})
		if !caught && attempt < 3 {
			continue
		}
		if !caught || code != exitInterrupted {
			t.Fatalf("caught %v, exit %d, want %d\n%s", caught, code, exitInterrupted, stderr)
		}
		break
	}
	m := flowMetadata(t, meta)
	if len(m.Builds) != 2 || !strings.Contains(m.Error, "context canceled") || m.Builds[1].Error == "" {
		t.Errorf("metadata after SIGINT: error %q, %d builds (%+v)", m.Error, len(m.Builds), m.Builds)
	}
}
