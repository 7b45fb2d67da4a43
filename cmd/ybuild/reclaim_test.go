package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ybuild/ybuild/internal/filelock"
)

// holdEnv makes the test binary a holder (see runHolder): it creates a
// locked temporary file or directory like a build does, says where on
// stdout, and waits to be killed.
const holdEnv = "YBUILD_TEST_HOLD"

// runHolder creates, per "file:DIR:PATTERN" or "dir:DIR:PATTERN" in the
// holdEnv value (comma-separated), a locked temporary file (with some
// content) or directory, prints each path and sleeps. It keeps every
// file open: an unreachable *os.File is closed by its finalizer at the
// next garbage collection, which released the lock of a "live" build's
// file and let the sweep remove it (TestReclaimKilledBuilds failed so in
// CI).
func runHolder(spec string) {
	var held []any
	for _, item := range strings.Split(spec, ",") {
		parts := strings.SplitN(item, ":", 3)
		var path string
		switch parts[0] {
		case "file":
			f, err := filelock.CreateTemp(parts[1], parts[2])
			if err != nil {
				panic(err)
			}
			f.WriteString("partial")
			path = f.Name()
			held = append(held, f)
		case "dir":
			d, err := filelock.MkdirTemp(parts[1], parts[2])
			if err != nil {
				panic(err)
			}
			os.WriteFile(filepath.Join(d.Path, "spool"), []byte("partial"), 0o644)
			path = d.Path
			held = append(held, d)
		}
		os.Stdout.WriteString(path + "\n")
	}
	runtime.GC() // a finalizer of anything not held would run now, not mid-test
	time.Sleep(time.Hour)
	runtime.KeepAlive(held)
}

// holder is a running holder process and the paths it holds.
type holder struct {
	cmd   *exec.Cmd
	paths []string
}

// startHolder runs a holder for items and waits for its paths.
func startHolder(t *testing.T, items ...string) *holder {
	t.Helper()
	cmd := exec.Command(testExecutable(t))
	cmd.Env = append(os.Environ(), holdEnv+"="+strings.Join(items, ","))
	stdout, err := cmd.StdoutPipe()
	cliMust(t, err)
	cliMust(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	h := &holder{cmd: cmd}
	sc := bufio.NewScanner(stdout)
	for range items {
		if !sc.Scan() {
			t.Fatalf("holder ended early: %v", sc.Err())
		}
		h.paths = append(h.paths, sc.Text())
	}
	return h
}

// kill9 sends SIGKILL and waits for the process to end.
func (h *holder) kill9(t *testing.T) {
	t.Helper()
	cliMust(t, h.cmd.Process.Signal(syscall.SIGKILL))
	h.cmd.Wait()
}

// TestReclaimKilledBuilds leaves behind, from real processes killed with
// SIGKILL, every kind of junk a killed build leaves (a work directory
// with an extract spool, a partial archive and a partial layout directory
// beside the outputs, a partial index.json and blob inside the existing
// layout, a partial cache blob and cache record), plus the same from a
// process that is still alive, and real ybuild processes killed while
// writing their layer and their archive. The next build removes exactly the dead ones (and leaves another
// tool's temporary file in the layout alone); `cache prune`
// removes a dead partial cache blob whatever its age and keeps a live one.
func TestReclaimKilledBuilds(t *testing.T) {
	root := t.TempDir()
	out, cache := filepath.Join(root, "out"), filepath.Join(root, "cache")
	spec := filepath.Join(root, "spec", "build.yaml")
	e2eWriteFiles(t, filepath.Join(root, "spec"), map[string]string{"build.yaml": interruptSpec, "small.txt": "small\n"})
	layout, archive := filepath.Join(out, "layout"), filepath.Join(out, "image.tar")
	args := []string{"-f", spec, "--progress", "quiet", "--cache-dir", cache, "-o", "oci:" + layout, "-o", "oci-archive:" + archive}
	e2eBuild(t, args...)
	blobs := filepath.Join(cache, "blobs", "sha256")
	cliMust(t, os.MkdirAll(blobs, 0o755))
	items := []string{
		"dir:" + out + ":.ybuild-work-*",
		"file:" + out + ":.image.tar.tmp-*",
		"dir:" + out + ":.layout.tmp-*",
		"file:" + layout + ":.index.json.tmp-*",
		"file:" + filepath.Join(layout, "blobs", "sha256") + ":." + strings.Repeat("0123abcd", 8) + ".tmp-*",
		"file:" + blobs + ":.tmp-0123456789ab-*",
		"file:" + filepath.Join(cache, "layers") + ":.abc.json.tmp-*",
	}
	cliMust(t, os.MkdirAll(filepath.Join(cache, "layers"), 0o755))
	dead, live := startHolder(t, items...), startHolder(t, items...)
	dead.kill9(t)
	for _, p := range dead.paths {
		if _, err := os.Lstat(p); err != nil {
			t.Fatalf("the killed holder left no %s: %v", p, err)
		}
	}
	killedWork := killBuildInLayer(t, root, args) // its start sweeps too
	bigArgs := append(slices.Clone(args), "--arg", "SRC=big.bin")
	killedArchive := killBuildAt(t, bigArgs, filepath.Join(out, ".image.tar.tmp-*"))
	if _, err := os.Lstat(killedWork); err == nil {
		t.Errorf("the second build did not sweep the first killed build's %s", killedWork)
	}

	foreign := filepath.Join(layout, ".other-tool.tmp-1") // not a name ybuild uses
	cliMust(t, os.WriteFile(foreign, []byte("theirs"), 0o644))
	e2eBuild(t, args...)
	if _, err := os.Lstat(foreign); err != nil {
		t.Errorf("another tool's temporary file in the layout was removed: %v", err)
	}
	for _, p := range append(dead.paths, killedWork, killedArchive) {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s of a killed build is still there after the next build", p)
		}
	}
	for _, p := range live.paths {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s of a live build was removed: %v", p, err)
		}
	}

	deadBlob := startHolder(t, "file:"+blobs+":.tmp-ba5eba11ba5e-*")
	deadBlob.kill9(t)
	res := cliRun("cache", "prune", "--cache-dir", cache)
	if res.code != 0 {
		t.Fatalf("cache prune: exit %d: %s", res.code, res.stderr)
	}
	if _, err := os.Lstat(deadBlob.paths[0]); err == nil {
		t.Errorf("cache prune kept %s of a killed build", deadBlob.paths[0])
	}
	if _, err := os.Lstat(live.paths[5]); err != nil {
		t.Errorf("cache prune removed %s of a live build: %v", live.paths[5], err)
	}
}

// killBuildInLayer starts a build of a large file, kills it with SIGKILL
// while it writes its layer and returns the work directory it left.
func killBuildInLayer(t *testing.T, root string, args []string) string {
	t.Helper()
	writeRandom(t, filepath.Join(root, "spec", "big.bin"), 64<<20)
	m := killBuildAt(t, append(args, "--arg", "SRC=big.bin"), filepath.Join(root, "out", workPrefix+"*", "sha256", ".layer-*.tmp"))
	return filepath.Dir(filepath.Dir(m))
}

// killBuildAt starts a build, kills it with SIGKILL as soon as a file
// matching pattern exists and returns that file; it tries three times,
// since a build may finish before it is seen.
func killBuildAt(t *testing.T, args []string, pattern string) string {
	t.Helper()
	for range 3 {
		if m := killOnce(t, args, pattern); m != "" {
			return m
		}
	}
	t.Fatalf("three builds finished before %s appeared", pattern)
	return ""
}

// killOnce is one attempt of killBuildAt; "" when the build ended first.
// Files that match pattern before the build starts do not count.
func killOnce(t *testing.T, args []string, pattern string) string {
	t.Helper()
	before, _ := filepath.Glob(pattern)
	cmd := exec.Command(testExecutable(t), args...)
	cmd.Env = append(os.Environ(), "YBUILD_TEST_MAIN=1")
	cliMust(t, cmd.Start())
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		select {
		case <-done:
			return ""
		default:
		}
		if m := newMatch(pattern, before); m != "" {
			cliMust(t, cmd.Process.Signal(syscall.SIGKILL))
			<-done
			if _, err := os.Lstat(m); err != nil {
				t.Fatalf("the killed build left no %s: %v", m, err)
			}
			return m
		}
	}
	cmd.Process.Kill()
	<-done
	t.Fatalf("the build neither finished nor wrote %s in 30 s", pattern)
	return ""
}

// newMatch returns a file matching pattern that is not in before, or "".
func newMatch(pattern string, before []string) string {
	m, _ := filepath.Glob(pattern)
	for _, p := range m {
		if !slices.Contains(before, p) {
			return p
		}
	}
	return ""
}
