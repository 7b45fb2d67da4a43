package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOutputsCheckBaseDiffIDs builds on a base whose config gives its
// second (gzip) layer a wrong diff_id; the local outputs copy that layer
// anyway, so the real process must refuse it (exit 2, one line naming the
// diff_id) and write neither output.
func TestOutputsCheckBaseDiffIDs(t *testing.T) {
	root := t.TempDir()
	corpusSetup(t, root, []string{"single", "base"}, map[string]string{})
	corpusSetup(t, root, []string{"edit", "base", "diffids-wrong"}, nil)
	e2eWriteFiles(t, root, map[string]string{"build.yaml": "apiVersion: ybuild/v1\nbase: \"oci:base\"\nfiles:\n  - {content: \"x\\n\", dst: /x}\n"})
	for _, dest := range []string{"oci-archive:" + filepath.Join(root, "out", "image.tar"), "oci:" + filepath.Join(root, "out", "layout")} {
		code, stderr := corpusExec(t, testExecutable(t), root, []string{"-f", filepath.Join(root, "build.yaml"), "-o", dest, "--progress", "quiet", "--no-cache"})
		if code != exitUsage || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line", dest, code, stderr)
		}
		cliCheckStderr(t, stderr, "invalid base image: uncompressed content is sha256:", "the config's diff_id says sha256:")
	}
	if entries, _ := os.ReadDir(filepath.Join(root, "out")); len(entries) != 0 {
		t.Errorf("out/ holds %d entries after failed builds, want none", len(entries))
	}
}
