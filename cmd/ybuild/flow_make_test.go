package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ybuild/ybuild/internal/e2e"
)

// flowCopyDir copies a directory tree of regular files.
func flowCopyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	cliMust(t, err)
}

// flowMake runs make in dir with this test binary as ybuild and returns
// its output.
func flowMake(t *testing.T, dir string, args ...string) string {
	t.Helper()
	ybuild := "env YBUILD_TEST_MAIN=1 " + testExecutable(t)
	cmd := exec.Command("make", append([]string{"YBUILD=" + ybuild}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// flowTick waits until a file written now gets a later mtime than every
// file under dir. Make remakes a target only when a prerequisite is newer;
// where the kernel stamps files from a coarse clock (a tick of 4 or 10 ms
// before Linux 6.13), a source changed within a tick of make writing its
// target gets the target's very mtime, and make rightly does nothing.
func flowTick(t *testing.T, dir string) {
	t.Helper()
	var newest time.Time
	cliMust(t, filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err == nil && fi.ModTime().After(newest) {
			newest = fi.ModTime()
		}
		return err
	}))
	probe := filepath.Join(t.TempDir(), "tick")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		cliMust(t, os.WriteFile(probe, nil, 0o644))
		fi, err := os.Stat(probe)
		cliMust(t, err)
		if fi.ModTime().After(newest) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the file-system clock did not pass %v in 10 s", newest)
		}
	}
}

// flowBuilt lists the services make built, from the commands it echoed.
func flowBuilt(out string) []string {
	var built []string
	for _, l := range strings.Split(out, "\n") {
		if _, rest, ok := strings.Cut(l, " build -f services/"); ok {
			svc, _, _ := strings.Cut(rest, "/")
			built = append(built, svc)
		}
	}
	return built
}

// TestFlowMakeExample runs examples/monorepo's Makefile with real make:
// both images on the first call, nothing on the second, exactly the one
// whose source changed (or whose copied directory gained a file) after
// that, and nothing again; a deleted source does not break make.
func TestFlowMakeExample(t *testing.T) {
	e2e.Require(t, "make")
	dir := t.TempDir()
	flowCopyDir(t, filepath.Join("..", "..", "examples", "monorepo"), dir)
	// The sources are an hour old, so every change below is newer than the
	// targets make wrote, whatever the file system's time resolution.
	old := time.Now().Add(-time.Hour)
	cliMust(t, filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(p, old, old)
	}))
	if got := flowBuilt(flowMake(t, dir)); strings.Join(got, ",") != "api,web" {
		t.Fatalf("first make built %v, want api and web", got)
	}
	for _, f := range []string{"out/api.json", "out/api.d", "out/web/index.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("after make: %v", err)
		}
	}
	if got := flowBuilt(flowMake(t, dir)); len(got) != 0 {
		t.Fatalf("second make built %v, want nothing", got)
	}
	touch := func(p, content string) {
		flowTick(t, dir)
		cliMust(t, os.WriteFile(filepath.Join(dir, p), []byte(content), 0o644))
	}
	touch("services/web/site/index.html", "<h1>changed</h1>\n")
	if got := flowBuilt(flowMake(t, dir)); strings.Join(got, ",") != "web" {
		t.Fatalf("after changing web's source, make built %v, want web only", got)
	}
	if got := flowBuilt(flowMake(t, dir)); len(got) != 0 {
		t.Fatalf("make after the rebuild built %v, want nothing", got)
	}
	touch("services/api/src/extra.conf", "x = 1\n")
	if got := flowBuilt(flowMake(t, dir)); strings.Join(got, ",") != "api" {
		t.Fatalf("after adding a file to api's source directory, make built %v, want api only", got)
	}
	flowTick(t, dir)
	cliMust(t, os.Remove(filepath.Join(dir, "services/api/src/extra.conf")))
	if got := flowBuilt(flowMake(t, dir)); strings.Join(got, ",") != "api" {
		t.Fatalf("after deleting a source, make built %v, want api only", got)
	}
}

// TestFlowDepfilePerPlatform: sources named through ${TARGETARCH} are
// listed for every platform built.
func TestFlowDepfilePerPlatform(t *testing.T) {
	dir := t.TempDir()
	flowCopyDir(t, filepath.Join("..", "..", "examples", "multi-platform"), dir)
	dep := filepath.Join(t.TempDir(), "mp.d")
	cliBuild(t, "-f", filepath.Join(dir, "build.yaml"), "-o", "oci:"+filepath.Join(t.TempDir(), "out"), "--depfile", dep)
	got := mustRead(t, dep)
	for _, want := range []string{filepath.Join(dir, "arch", "amd64.txt"), filepath.Join(dir, "arch", "arm64.txt")} {
		if !strings.Contains(got, " \\\n  "+want) { // outside the working directory: absolute
			t.Errorf("depfile:\n%s\nwant a prerequisite %s", got, want)
		}
	}
	if strings.Contains(got, "TARGETARCH") {
		t.Errorf("depfile names an unsubstituted source:\n%s", got)
	}
}

// flowOddProject writes files into dir, an hour old, runs make there once
// (it must run ybuild once) and returns a function that runs make again
// and counts the ybuild builds it ran.
func flowOddProject(t *testing.T, dir string, files map[string]string) func() int {
	t.Helper()
	e2eWriteFiles(t, dir, files)
	old := time.Now().Add(-time.Hour)
	cliMust(t, filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(p, old, old)
	}))
	builds := func() int { return strings.Count(flowMake(t, dir), " build -f build.yaml") }
	if n := builds(); n != 1 {
		t.Fatalf("first make ran ybuild %d times, want 1", n)
	}
	return builds
}

// flowCheckWatched checks that make then has nothing to do, and that after
// each of changed is written it builds once and then nothing again.
func flowCheckWatched(t *testing.T, dir string, builds func() int, changed ...string) {
	t.Helper()
	for _, c := range append([]string{""}, changed...) {
		if c != "" {
			flowTick(t, dir)
			cliMust(t, os.WriteFile(filepath.Join(dir, c), []byte("changed"), 0o644))
			if n := builds(); n != 1 {
				t.Fatalf("after changing %q, make ran ybuild %d times, want 1:\n%s", c, n, mustRead(t, filepath.Join(dir, "out.d")))
			}
		}
		if n := builds(); n != 0 {
			t.Fatalf("make after %q ran ybuild %d times, want 0:\n%s", c, n, mustRead(t, filepath.Join(dir, "out.d")))
		}
	}
}

// flowOddMakefile builds build.yaml into out/ with out.json as the target.
const flowOddMakefile = `.DELETE_ON_ERROR:
out.json: build.yaml
	$(YBUILD) build -f build.yaml -o oci:out --metadata-file $@ --depfile out.d --progress quiet
-include out.d
`

// TestFlowDepfileOddNames: with real make, sources whose names hold a
// space, $, #, :, %, backslashes, or a bare make keyword are built once,
// not again, again after one of them changes, and make still works after
// one is deleted; a name make cannot express (;) fails with exit 2, no
// output and no dependency file, instead of one that runs the rest of the
// name as a command.
func TestFlowDepfileOddNames(t *testing.T) {
	e2e.Require(t, "make")
	dir := t.TempDir()
	names := []string{"src/a b", "src/c$d", "src/e#f", "src/g:h", "src/i%j", `src/k\l`, `src/o\ p`, `src/q\#r`, "define"}
	files := map[string]string{"Makefile": flowOddMakefile, "build.yaml": "apiVersion: ybuild/v1\nname: odd\nbase: scratch\n" +
		"created: 2024-01-01T00:00:00Z\nfiles:\n  - {src: src/, dst: /src/}\n  - {src: define, dst: /define}\n"}
	for _, n := range names {
		files[n] = n
	}
	builds := flowOddProject(t, dir, files)
	// Nothing to do on the second call proves every name resolves to its
	// file (make remakes a missing one); one change proves it is watched.
	flowCheckWatched(t, dir, builds, "src/i%j")
	flowTick(t, dir)
	cliMust(t, os.Remove(filepath.Join(dir, "src/g:h")))
	if n := builds(); n != 1 {
		t.Fatalf("after deleting src/g:h, make ran ybuild %d times, want 1", n)
	}

	bad := t.TempDir()
	e2eWriteFiles(t, bad, map[string]string{"build.yaml": files["build.yaml"], "define": "x", "src/x;touch pwned": "x"})
	dep := filepath.Join(bad, "out.d")
	res := cliRun("build", "-f", filepath.Join(bad, "build.yaml"), "-o", "oci:"+filepath.Join(bad, "out"), "--depfile", dep)
	if res.code != exitUsage || !strings.Contains(res.stderr, "make cannot read") {
		t.Errorf("a source named with ';': exit %d, want 2 naming the file\n%s", res.code, res.stderr)
	}
	for _, p := range []string{dep, filepath.Join(bad, "out")} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s was written for a name make cannot express: %v", p, err)
		}
	}
}

// TestFlowDepfileSymlinkedCwd: run from a working directory reached through
// a symbolic link, every prerequisite names an existing file as make (and
// the kernel) resolve it: sources outside the working directory are not
// written as ../ paths, which would climb the physical directory instead.
func TestFlowDepfileSymlinkedCwd(t *testing.T) {
	real, links := t.TempDir(), t.TempDir()
	deep := filepath.Join(real, "a", "b", "work") // deeper than the link, so ../ climbs elsewhere
	cliMust(t, os.MkdirAll(deep, 0o755))
	cliMust(t, os.Symlink(deep, filepath.Join(links, "work")))
	src := t.TempDir()
	e2eWriteFiles(t, src, map[string]string{"build.yaml": "apiVersion: ybuild/v1\nbase: scratch\nfiles:\n  - {src: a.txt, dst: /a}\n", "a.txt": "a\n"})
	t.Chdir(filepath.Join(links, "work"))
	cliBuild(t, "-f", filepath.Join(src, "build.yaml"), "-o", "oci:out", "--depfile", "out.d")
	lines := strings.Split(mustRead(t, "out.d"), "\n")
	for _, l := range lines[1:] {
		p := strings.TrimSuffix(strings.TrimSpace(l), " \\")
		if p == "" {
			break // the end of the rule
		}
		if _, err := os.Stat(p); err != nil {
			t.Errorf("prerequisite %q: %v", p, err)
		}
	}
}
