package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/internal/testbase"
)

// TestSSLCertFile runs the real ybuild process against a TLS registry whose
// CA is not in the system pool: without help the certificate is refused
// (exit 1, naming the registry); with SSL_CERT_FILE pointing at the CA the
// build succeeds. (Go reads SSL_CERT_FILE once per process, hence a
// separate process.)
func TestSSLCertFile(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{TLS: true})
	baseDir := filepath.Join(t.TempDir(), "base")
	testbase.Layout(t, baseDir)
	base := reg.Host + "/lib/busybox:1"
	reg.PushLayout(t, baseDir, testbase.Ref, base)
	spec := e2eHelloDir(t)

	build := func(env ...string) (int, string, string) {
		t.Helper()
		layout := filepath.Join(t.TempDir(), "layout")
		cmd := exec.Command(testExecutable(t), "-f", spec, "--arg", "BASE="+base, "--progress", "quiet",
			"--cache-dir", t.TempDir(), "-o", "oci:"+layout)
		cmd.Env = append(append(os.Environ(), "YBUILD_TEST_MAIN=1", "SSL_CERT_DIR="+t.TempDir()), env...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		_ = cmd.Run()
		return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
	}
	code, _, stderr := build("SSL_CERT_FILE=" + filepath.Join(t.TempDir(), "empty.pem"))
	if code != exitBuild || !strings.Contains(stderr, reg.Host) || !strings.Contains(stderr, "--ca-file or SSL_CERT_FILE") {
		t.Fatalf("untrusted CA: exit %d, stderr %q; want exit 1 naming the registry and how to trust its CA", code, stderr)
	}
	code, stdout, stderr := build("SSL_CERT_FILE=" + reg.CAFile)
	if code != exitOK || !strings.Contains(stdout, " sha256:") {
		t.Fatalf("SSL_CERT_FILE=CA: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
