// Package e2e helps end-to-end tests use external tools (skopeo, umoci,
// runc, podman, busybox-static).
//
// A test calls Require for each tool it needs. When the tool is missing the
// test is skipped with a message naming it, unless the environment sets
// YBUILD_E2E=required (as CI does), in which case the test fails. Run and Try
// execute commands and put the command line, stdout and stderr in failures.
//
//	skopeo := e2e.Require(t, "skopeo")
//	out := e2e.Run(t, skopeo, "inspect", "oci:"+dir+":latest")
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ybuild/ybuild/internal/filelock"
)

// EnvVar is the environment variable that makes missing tools a failure
// when set to "required".
const EnvVar = "YBUILD_E2E"

// Require returns the path of tool found in PATH. When it is absent the test
// is skipped, or fails if YBUILD_E2E=required.
func Require(t testing.TB, tool string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("e2e: %s not found in PATH (%v); install it to run this test", tool, err)
	if os.Getenv(EnvVar) == "required" {
		t.Fatalf("%s (%s=required)", msg, EnvVar)
	}
	t.Skipf("%s, or set %s=required to fail instead of skipping", msg, EnvVar)
	return ""
}

// Run runs name with args and returns its stdout. The command is killed when
// the test ends. If it fails, the test fails with the command line, the
// error, stdout and stderr.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := Try(t, name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Try runs name with args and returns its stdout and an error describing the
// command line, exit status, stdout and stderr if it fails. Use it for
// commands expected to fail and for cleanup.
func Try(t testing.TB, name string, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	defer lockTool(t.Context(), name)()
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %w\nstdout:\n%s\nstderr:\n%s",
			name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// Output runs name with args, outside any test's context, and returns its
// combined output: for cleanups, which run once t.Context() is cancelled.
func Output(name string, args ...string) ([]byte, error) {
	defer lockTool(context.Background(), name)()
	return exec.Command(name, args...).CombinedOutput()
}

// lockTool holds, for a podman command, a lock that every test process
// takes around its podman commands, and returns its release. The test
// packages run in parallel and share podman's image store: one package's
// `podman rmi` while another's `podman pull` or `load` reused a layer it
// removed failed the pull with "layer not known".
func lockTool(ctx context.Context, name string) func() {
	if filepath.Base(name) != "podman" {
		return func() {}
	}
	l, err := filelock.Acquire(ctx, filepath.Join(os.TempDir(), "ybuild-e2e-podman.lock"))
	if err != nil {
		return func() {}
	}
	return func() { _ = l.Release() }
}

// PodmanRunFlags returns the flags `podman run` needs in the sandbox:
// the runc runtime, no network and fixed ulimits.
func PodmanRunFlags() []string {
	return []string{
		"--runtime", "runc", "--network", "none",
		"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
	}
}
