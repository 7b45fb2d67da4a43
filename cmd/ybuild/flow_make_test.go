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
		rel := want
		if cwd, err := os.Getwd(); err == nil {
			if r, err := filepath.Rel(cwd, want); err == nil {
				rel = r
			}
		}
		if !strings.Contains(got, " \\\n  "+rel) {
			t.Errorf("depfile:\n%s\nwant a prerequisite %s", got, rel)
		}
	}
	if strings.Contains(got, "TARGETARCH") {
		t.Errorf("depfile names an unsubstituted source:\n%s", got)
	}
}
