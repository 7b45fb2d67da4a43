package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/internal/testbase"
)

// stallRun runs the real ybuild process with args (a minute at most: a
// stall that is not detected fails the test instead of hanging it) and
// returns its exit code, stdout and stderr.
func stallRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, testExecutable(t), args...)
	cmd.Env = append(os.Environ(), "YBUILD_TEST_MAIN=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("ybuild %s: still running after a minute (killed); stderr:\n%s", strings.Join(args, " "), stderr.String())
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// TestRegistryStallsRecover runs the real ybuild process against
// registries that stall: the base registry sends the headers and half of
// the first blob, then nothing (connection kept open); the target stops
// reading the first upload and never answers. With
// --registry-idle-timeout 1s the download resumes and the upload starts
// again; the build writes the same image as a build without faults, and
// the pushed image is that image. With --retries 0 a blob that always
// stalls fails the build (exit 1) with an error naming the registry, the
// repository and the blob.
func TestRegistryStallsRecover(t *testing.T) {
	src := registrytest.New(t, registrytest.Options{})
	baseDir := filepath.Join(t.TempDir(), "base")
	testbase.Layout(t, baseDir)
	src.PushLayout(t, baseDir, testbase.Ref, src.Host+"/lib/busybox:1")
	srcProxy := registrytest.NewProxy(t, src.Host)
	dst := registrytest.New(t, registrytest.Options{})
	dstProxy := registrytest.NewProxy(t, dst.Host)
	spec := e2eHelloDir(t)
	base := "BASE=" + srcProxy.Host + "/lib/busybox:1"

	srcProxy.Inject(registrytest.ProxyFault{Kind: registrytest.StallBody, Method: http.MethodGet, Path: "/blobs/sha256:"})
	dstProxy.Inject(registrytest.ProxyFault{Kind: registrytest.StallRequest, Method: http.MethodPut, Path: "/blobs/uploads/", After: 100})
	layout := filepath.Join(t.TempDir(), "layout")
	code, stdout, stderr := stallRun(t, "-f", spec, "--arg", base, "--progress", "quiet", "--cache-dir", t.TempDir(),
		"--registry-idle-timeout", "1s", "-o", "oci:"+layout, "-o", "docker://"+dstProxy.Host+"/app/hello:1")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if srcProxy.Hits() != 1 || dstProxy.Hits() != 1 {
		t.Fatalf("%d stalled downloads, %d stalled uploads; want 1 and 1", srcProxy.Hits(), dstProxy.Hits())
	}
	got := e2eResults(t, stdout)
	if len(got) != 2 || got["oci:"+layout] != got["docker://"+dstProxy.Host+"/app/hello:1"] {
		t.Fatalf("results %v: want the layout and the push to hold one image", got)
	}

	again := filepath.Join(t.TempDir(), "layout")
	code, stdout, stderr = stallRun(t, "-f", spec, "--arg", base, "--progress", "quiet", "--cache-dir", t.TempDir(), "-o", "oci:"+again)
	if code != 0 {
		t.Fatalf("build without faults: exit %d; stderr:\n%s", code, stderr)
	}
	if d := e2eResults(t, stdout)["oci:"+again]; d != got["oci:"+layout] {
		t.Fatalf("without faults the image is %s, with stalls %s", d, got["oci:"+layout])
	}

	srcProxy.Inject(registrytest.ProxyFault{Kind: registrytest.StallBody, Method: http.MethodGet, Path: "/blobs/sha256:", Times: 100})
	code, _, stderr = stallRun(t, "-f", spec, "--arg", base, "--progress", "quiet", "--cache-dir", t.TempDir(),
		"--registry-idle-timeout", "1s", "--retries", "0", "-o", "oci:"+filepath.Join(t.TempDir(), "failed"))
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
	}
	t.Logf("stderr: %s", stderr)
	cliCheckStderr(t, stderr, "stalled: no data received for 1s", "registry "+srcProxy.Host, "repository lib/busybox", "blob sha256:")
}
