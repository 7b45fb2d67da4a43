package main

import (
	"context"
	"github.com/ybuild/ybuild/internal/treetest"
	"path/filepath"
	"syscall"
	"testing"
)

// cliAtomicSpec has two layers; the second copies the directory ${SRC}.
const cliAtomicSpec = `apiVersion: ybuild/v1
name: atomic
base: scratch
created: 2024-01-01T00:00:00Z
args: {SRC: good}
layers:
  - name: one
    files:
      - {src: one.txt, dst: /one.txt}
  - name: two
    files:
      - {src: "${SRC}", dst: /two/}
`

// cliAtomicDir writes cliAtomicSpec with a good source directory and one
// holding a FIFO (refused while the second layer is written) into
// root/spec, and returns the spec path.
func cliAtomicDir(t *testing.T, root string) string {
	t.Helper()
	e2eWriteFiles(t, filepath.Join(root, "spec"), map[string]string{
		"build.yaml": cliAtomicSpec, "one.txt": "one\n", "good/two.txt": "two\n", "fifo/a.txt": "a\n",
	})
	cliMust(t, syscall.Mkfifo(filepath.Join(root, "spec", "fifo", "pipe"), 0o644))
	return filepath.Join(root, "spec", "build.yaml")
}

// TestCLIAtomicFailure builds into an OCI layout and an OCI archive, then
// fails builds into the same outputs (and into new ones): every file stays
// byte-identical, no temporary file or directory is left, nothing new
// appears.
func TestCLIAtomicFailure(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	spec := cliAtomicDir(t, root)
	out := filepath.Join(root, "out")
	existing := []string{"-o", "oci:" + out + "/layout", "-o", "oci-archive:" + out + "/image.tar"}
	cliBuild(t, append([]string{"-f", spec}, existing...)...)
	before := treetest.Snapshot(t, root)
	if len(before) < 8 {
		t.Fatalf("first build wrote too little: %v", before)
	}
	fresh := []string{"-o", "oci:" + filepath.Join(root, "new", "deeper", "layout"), "-o", "oci-archive:" + filepath.Join(root, "new2", "image.tar")}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing src", append([]string{"--arg", "SRC=missing"}, existing...), "layers[1].files[0].src: no such file"},
		{"fifo in layer two", append([]string{"--arg", "SRC=fifo"}, existing...), "fifo/pipe"},
		{"fifo in layer two, new outputs", append([]string{"--arg", "SRC=fifo"}, fresh...), "fifo/pipe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := cliRun(append([]string{"-f", spec, "--progress", "quiet", "--no-cache"}, tc.args...)...)
			if r.code != exitUsage {
				t.Errorf("exit %d, want %d (a bad source)", r.code, exitUsage)
			}
			cliCheckStderr(t, r.stderr, tc.want)
			treetest.Same(t, "after a failed build", before, treetest.Snapshot(t, root))
		})
	}
}

// TestCLIAtomicCancelled runs a build with a context cancelled before it
// starts: it fails and writes nothing, not even the outputs' parents.
func TestCLIAtomicCancelled(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	spec := cliAtomicDir(t, root)
	before := treetest.Snapshot(t, root)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(root, "out", "sub")
	r := cliRunCtx(ctx, "--progress", "quiet", "--no-cache", "-f", spec, "-o", "oci:"+out+"/layout", "-o", "oci-archive:"+out+"/image.tar")
	if r.code != exitInterrupted {
		t.Fatalf("exit %d with a cancelled context, want %d; stdout %q", r.code, exitInterrupted, r.stdout)
	}
	cliCheckStderr(t, r.stderr, "context canceled")
	treetest.Same(t, "after a cancelled build", before, treetest.Snapshot(t, root))
}
