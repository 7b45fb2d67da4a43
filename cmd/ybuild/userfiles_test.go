package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ybuild/ybuild/internal/registrytest"
)

// userFilesRun runs the real ybuild process in dir with extra files (fd 3
// on) and returns its exit code and stderr; one that still runs after a
// minute (waiting on a FIFO) fails the test.
func userFilesRun(t *testing.T, extra []*os.File, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, testExecutable(t), args...)
	cmd.Env = append(os.Environ(), "YBUILD_TEST_MAIN=1", "COSIGN_PASSWORD=ybuild-test")
	cmd.ExtraFiles = extra
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("ybuild %s: still running after a minute (killed); stderr:\n%s", strings.Join(args, " "), stderr.String())
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// TestUserFilesNeverBlock: files named on the command line never hang the
// real process on a FIFO nobody writes: --sign-key reads it as empty (a
// usage error: no PEM key in it); CA and credentials files must be regular
// files (exit 2, naming them: every registry session reads them again), and
// a missing or unusable CA file is a usage error too. A key given through
// a pipe (a shell's <(…)) works.
func TestUserFilesNeverBlock(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	spec := cliSpecDir(t, map[string]string{"build.yaml": cliSpec})
	reg := registrytest.New(t, registrytest.Options{})
	push := "docker://" + reg.Host + "/app/x:1"
	auth := registrytest.New(t, registrytest.Options{Auth: registrytest.Basic, TLS: true, Users: map[string]string{"u": "p"}})
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"sign key", []string{"--sign-key", fifo, "-o", "oci:" + filepath.Join(dir, "a")}, exitUsage, "--sign-key"},
		{"ca file", []string{"--ca-file", fifo, "-o", push}, exitUsage, fifo + ": not a regular file (a FIFO)"},
		{"missing ca file", []string{"--ca-file", filepath.Join(dir, "missing.pem"), "-o", push}, exitUsage, "missing.pem: no such file"},
		{"ca file without certificates", []string{"--ca-file", spec, "-o", push}, exitUsage, "no PEM certificates"},
		{"auth file", []string{"--authfile", fifo, "--ca-file", auth.CAFile, "-o", "docker://" + auth.Host + "/app/x:1"}, exitUsage, fifo + ": not a regular file (a FIFO)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"build", "--progress", "quiet", "--cache-dir", t.TempDir(), "-f", spec}, tc.args...)
			code, stderr := userFilesRun(t, nil, args...)
			t.Logf("exit %d: %s", code, stderr)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}

	key := metaSignKey(t)
	data, err := os.ReadFile(key)
	cliMust(t, err)
	pr, pw, err := os.Pipe()
	cliMust(t, err)
	go func() {
		_, _ = pw.Write(data)
		pw.Close()
	}()
	defer pr.Close()
	out := filepath.Join(dir, "signed")
	code, stderr := userFilesRun(t, []*os.File{pr}, "build", "--progress", "quiet", "--cache-dir", t.TempDir(), "-f", spec,
		"--sign-key", "/dev/fd/3", "-o", "oci:"+out)
	if code != 0 {
		t.Fatalf("--sign-key through a pipe: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(string(readFileT(t, filepath.Join(out, "index.json"))), "dev.cosignproject.cosign/sigs") {
		t.Error("the layout holds no signature")
	}
}

// readFileT reads a file or fails the test.
func readFileT(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	cliMust(t, err)
	return data
}
