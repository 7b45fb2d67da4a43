package main

import (
	"archive/tar"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests run the real ybuild process on hostile or awkward sources
// (issue 9 items 4, 5, 6, 9 and 10) and check the exit code, the one-line
// error and the image.

// procResult is what one ybuild process did.
type procResult struct {
	code           int
	stdout, stderr string
}

// procRun runs ybuild (this test binary as main) with args in dir.
func procRun(t *testing.T, dir string, args ...string) procResult {
	t.Helper()
	cmd := exec.Command(testExecutable(t), args...)
	cmd.Env = append(os.Environ(), "YBUILD_TEST_MAIN=1")
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return procResult{code, out.String(), errb.String()}
}

// procWantUsage fails unless r is exit 2 with one error line holding want.
func procWantUsage(t *testing.T, r procResult, want ...string) {
	t.Helper()
	if r.code != exitUsage {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", r.code, exitUsage, r.stderr)
	}
	if n := strings.Count(strings.TrimRight(r.stderr, "\n"), "\n"); n != 0 {
		t.Errorf("stderr has %d lines, want one:\n%s", n+1, r.stderr)
	}
	cliCheckStderr(t, r.stderr, want...)
}

// sourcesSpec is a scratch spec whose one layer holds files.
func sourcesSpec(files string) string {
	return "apiVersion: ybuild/v1\nname: src\nbase: scratch\ncreated: 2024-01-01T00:00:00Z\nlayers:\n  - files:\n" + files
}

// TestOutputInsideCopiedSrc builds {src: ., dst: /app/} twice with the
// default output build/<name> inside the copied directory: both builds give
// one digest, and the layer holds neither the output nor the work directory.
func TestOutputInsideCopiedSrc(t *testing.T) {
	dir := t.TempDir()
	e2eWriteFiles(t, dir, map[string]string{
		"build.yaml": sourcesSpec("      - {src: ., dst: /app/}\n"),
		"main.txt":   "hello\n",
	})
	// A stale work directory of a killed build beside the output.
	e2eWriteFiles(t, dir, map[string]string{"build/.ybuild-work-dead/sha256/junk": "junk"})
	var digests []string
	for range 2 {
		r := procRun(t, dir, "-f", "build.yaml", "--no-cache", "--progress", "quiet")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		digests = append(digests, r.stdout)
	}
	if digests[0] != digests[1] {
		t.Fatalf("two builds differ:\n%s%s", digests[0], digests[1])
	}
	layout := filepath.Join(dir, "build", "src")
	res := e2eResults(t, digests[0])
	m := e2eManifest(t, layout, res["oci:build/src"])
	files := e2eLayerFiles(t, layout, m.Layers[len(m.Layers)-1].Digest)
	for name := range files {
		if strings.HasPrefix(name, "app/build/") {
			t.Errorf("the layer holds ybuild's own file %s", name)
		}
	}
	if files["app/main.txt"] != "hello\n" || files["app/build.yaml"] == "" {
		t.Errorf("layer files %v", files)
	}
}

func TestSpecialFileSrcExit2(t *testing.T) {
	dir := t.TempDir()
	e2eWriteFiles(t, dir, map[string]string{"build.yaml": sourcesSpec("      - {src: \"*.pipe\", dst: /x/}\n")})
	if err := syscall.Mkfifo(filepath.Join(dir, "a.pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := procRun(t, dir, "-f", "build.yaml", "--no-cache", "-o", "oci:out")
	procWantUsage(t, r, "a.pipe", "named pipe")
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Errorf("the failed build left an output: %v", err)
	}
}

// extractCase is one hostile archive and the error its extraction must give.
type extractCase struct {
	name  string
	extra string // spec fields of the entry
	tar   func(t *testing.T) []byte
	want  []string
}

// oneHeader is a tar of one header (and size zero bytes of content).
func oneHeader(t *testing.T, h *tar.Header, body bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	h.Format = tar.FormatPAX
	if err := tw.WriteHeader(h); err != nil {
		t.Fatal(err)
	}
	if body {
		tw.Write(make([]byte, h.Size))
		tw.Close()
	}
	return append(buf.Bytes(), make([]byte, 1024)...)
}

var extractCases = []extractCase{
	{name: "bigger than the default size limit",
		tar: func(t *testing.T) []byte {
			return oneHeader(t, &tar.Header{Name: "big", Typeflag: tar.TypeReg, Mode: 0o644, Size: 5 << 30}, false)
		},
		want: []string{"extract a.tar", `entry "big"`, "more than 4GiB", "limits.maxSize"}},
	{name: "over a spec size limit", extra: ", limits: {maxSize: 1KiB}",
		tar: func(t *testing.T) []byte {
			return oneHeader(t, &tar.Header{Name: "f", Typeflag: tar.TypeReg, Mode: 0o644, Size: 2048}, true)
		},
		want: []string{"extract a.tar", "more than 1KiB", "limits.maxSize"}},
	{name: "device node",
		tar: func(t *testing.T) []byte {
			return oneHeader(t, &tar.Header{Name: "dev/mem", Typeflag: tar.TypeChar, Mode: 0o600, Devmajor: 1, Devminor: 1}, true)
		},
		want: []string{"extract a.tar", "character device", "allowDevices: true"}},
	{name: "deep path",
		tar: func(t *testing.T) []byte {
			return oneHeader(t, &tar.Header{Name: strings.Repeat("d/", 300) + "f", Typeflag: tar.TypeReg, Mode: 0o644}, true)
		},
		want: []string{"extract a.tar", "301 components, more than 256"}},
	{name: "long path",
		tar: func(t *testing.T) []byte {
			return oneHeader(t, &tar.Header{Name: strings.Repeat("d/", 20000) + "f", Typeflag: tar.TypeReg, Mode: 0o644}, true)
		},
		want: []string{"extract a.tar", "name of 40001 bytes", "longer than 4096 bytes"}},
}

func TestHostileArchivesExit2(t *testing.T) {
	for _, c := range extractCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			e2eWriteFiles(t, dir, map[string]string{
				"build.yaml": sourcesSpec("      - {src: a.tar, dst: /x/, extract: true" + c.extra + "}\n"),
			})
			if err := os.WriteFile(filepath.Join(dir, "a.tar"), c.tar(t), 0o644); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			r := procRun(t, dir, "-f", "build.yaml", "--no-cache", "-o", "oci:out")
			procWantUsage(t, r, c.want...)
			if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
				t.Errorf("the failed build left an output: %v", err)
			}
			t.Logf("refused in %v", time.Since(start).Round(time.Millisecond))
		})
	}
}
