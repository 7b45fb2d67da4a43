package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ybuild/ybuild/internal/e2e"
)

// TestFlowDepfileSpecialNames: with real make, sources a contributor names
// to change how make runs cannot: a top-level file named .IGNORE (whose
// empty rule ".IGNORE:" made make ignore the errors of every recipe of
// the Makefile that includes the dependency file) or ~root (which make
// read as /root) is written as an absolute path, and wildcard characters
// are quoted (g/[ab] was read as the pattern matching g/a, so changing
// g/[ab] rebuilt nothing).
func TestFlowDepfileSpecialNames(t *testing.T) {
	e2e.Require(t, "make")
	dir := t.TempDir()
	files := map[string]string{
		"Makefile": flowOddMakefile + "check:\n\t@false\n",
		"build.yaml": "apiVersion: ybuild/v1\nname: odd\nbase: scratch\ncreated: 2024-01-01T00:00:00Z\nfiles:\n" +
			"  - {src: .IGNORE, dst: /i}\n  - {src: \"~root\", dst: /r}\n  - {src: g/, dst: /g/}\n",
		".IGNORE": "i", "~root": "r", "g/[ab]": "ab", "g/a": "a", "g/*": "star",
	}
	builds := flowOddProject(t, dir, files)
	dep := mustRead(t, filepath.Join(dir, "out.d"))
	check := exec.Command("make", "check")
	check.Dir = dir
	if out, err := check.CombinedOutput(); err == nil {
		t.Errorf("a failing recipe succeeded with the dependency file included:\n%s\nout.d:\n%s", out, dep)
	}
	flowCheckWatched(t, dir, builds, "g/[ab]", "~root")
}

// TestDepfileSkipsOwnPaths: a glob whose base holds the output lists
// neither the output's directories nor the build's work directory, which
// is gone once the build ends (make would rebuild every time) and whose
// disappearance under a concurrent build's walk failed that build.
func TestDepfileSkipsOwnPaths(t *testing.T) {
	dir := t.TempDir()
	e2eWriteFiles(t, dir, map[string]string{
		"build.yaml": "apiVersion: ybuild/v1\nbase: scratch\nfiles:\n  - {src: \"*.txt\", dst: /t/}\n", "a.txt": "a",
	})
	dep := filepath.Join(t.TempDir(), "out.d")
	for range 2 { // the second build finds the first's output under the glob's base
		cliBuild(t, "-f", filepath.Join(dir, "build.yaml"), "-o", "oci:"+filepath.Join(dir, "out"), "--depfile", dep)
	}
	_, got, _ := strings.Cut(mustRead(t, dep), "\n") // the prerequisites, after the target
	for _, l := range strings.Split(got, "\n") {
		p := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(l), " \\"), ":")
		if strings.Contains(p, ".ybuild-work-") || p == filepath.Join(dir, "out") || strings.HasPrefix(p, filepath.Join(dir, "out")+"/") {
			t.Errorf("depfile lists ybuild's own %s:\n%s", p, got)
		}
	}
	if !strings.Contains(got, filepath.Join(dir, "a.txt")) {
		t.Errorf("depfile misses the source:\n%s", got)
	}
}
