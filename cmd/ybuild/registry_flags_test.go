package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRegistryFlagsOnRootAndBuild checks that the registry flags work the
// same on `ybuild` and `ybuild build` (both once bound to separate structs,
// so `ybuild --offline` was silently ignored), and that --offline refuses a
// push before anything is built.
func TestRegistryFlagsOnRootAndBuild(t *testing.T) {
	dir := t.TempDir()
	spec := "apiVersion: ybuild/v1\nbase: scratch\nfiles:\n  - {content: hi, dst: /hi}\n"
	if err := os.WriteFile(filepath.Join(dir, "build.yaml"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "build.yaml")
	for _, args := range [][]string{
		{"-f", file, "--offline", "-o", "docker://127.0.0.1:1/x:1"},
		{"build", "-f", file, "--offline", "-o", "docker://127.0.0.1:1/x:1"},
		{"-f", file, "--offline", "--push", "-t", "127.0.0.1:1/x:1"},
		{"build", "-f", file, "--offline", "--push", "-t", "127.0.0.1:1/x:1"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append(args, "--progress", "quiet"), &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), "--offline never contacts a registry") {
			t.Errorf("ybuild %s: exit %d, stderr %q; want exit 2 refusing the push", strings.Join(args, " "), code, stderr.String())
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("ybuild %s wrote %d entries beside the spec, want none", strings.Join(args, " "), len(entries)-1)
		}
	}
}
