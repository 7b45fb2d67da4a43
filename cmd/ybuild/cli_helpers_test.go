package main

import (
	"archive/tar"
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/tartest"
)

// cliResult is what one run() call returned.
type cliResult struct {
	code           int
	stdout, stderr string
}

// cliBuild is e2eBuild with --no-cache: every layer is written, and the
// user's layer cache is neither read nor filled.
func cliBuild(t *testing.T, args ...string) string {
	t.Helper()
	return e2eBuild(t, append(args, "--no-cache")...)
}

// cliRun calls run() with args and a background context.
func cliRun(args ...string) cliResult {
	return cliRunCtx(context.Background(), args...)
}

// cliRunCtx calls run() with ctx and args.
func cliRunCtx(ctx context.Context, args ...string) cliResult {
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, &stdout, &stderr)
	return cliResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// cliSpecDir writes files (slash paths → content; "build.yaml" is the
// spec) into a new directory and returns the spec's path.
func cliSpecDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	e2eWriteFiles(t, dir, files)
	return filepath.Join(dir, "build.yaml")
}

// cliCheckStderr checks that every stderr line is an error line
// ("ybuild: …") and that there is no Go stack trace; want must appear.
func cliCheckStderr(t *testing.T, stderr string, want ...string) {
	t.Helper()
	if strings.TrimSpace(stderr) == "" {
		t.Fatalf("stderr is empty, want an error")
	}
	for _, line := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		if !strings.HasPrefix(line, "ybuild: ") {
			t.Errorf("stderr line %q does not start with \"ybuild: \"", line)
		}
	}
	if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
		t.Errorf("stderr holds a stack trace or panic:\n%s", stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr:\n%s\nwant it to contain %q", stderr, w)
		}
	}
}

// cliOneResult parses stdout of a build with one output and returns its digest.
func cliOneResult(t *testing.T, stdout, dest string) digest.Digest {
	t.Helper()
	res := e2eResults(t, stdout)
	d, ok := res[dest]
	if !ok || len(res) != 1 {
		t.Fatalf("stdout %q: want exactly one line for %s", stdout, dest)
	}
	return d
}

// cliConfig reads the image config of manifest m in an OCI layout.
func cliConfig(t *testing.T, layout string, m digest.Digest) ocispec.Image {
	t.Helper()
	var img ocispec.Image
	e2eJSON(t, "config", e2eBlob(t, layout, e2eManifest(t, layout, m).Config.Digest), &img)
	return img
}

// cliLayerHeaders returns the tar headers, in order, of a gzipped layer
// blob of an OCI layout.
func cliLayerHeaders(t *testing.T, layout string, d digest.Digest) []*tar.Header {
	t.Helper()
	return tartest.Headers(tartest.ReadGzip(t, e2eBlob(t, layout, d), "layer "+d.String()))
}

// cliTarFile returns the content of the entry name in the tar file path.
func cliTarFile(t *testing.T, path, name string) []byte {
	t.Helper()
	return tartest.File(t, tartest.ReadFile(t, path), name)
}
