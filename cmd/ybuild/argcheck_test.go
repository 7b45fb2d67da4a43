package main

import (
	"strings"
	"testing"
)

// TestUnusedArgWarning checks that an --arg no spec refers to is named on
// stderr, with the name it is close to, while the build goes on (exit 0):
// a mistyped --arg VERSON=1.2.3 built the default VERSION silently. With
// several specs only a name none of them uses is named; build and validate
// both say it.
func TestUnusedArgWarning(t *testing.T) {
	t.Parallel()
	spec := cliSpecDir(t, map[string]string{"build.yaml": cliSpec})
	out := "oci:" + t.TempDir() + "/l"
	r := cliRun("-f", spec, "--arg", "VERSON=1.2.3", "--arg", "VERSON=2", "--arg", "VERSION=3", "-o", out, "--progress", "quiet", "--no-cache")
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	want := "ybuild: --arg VERSON: " + spec + " refers to no ${VERSON}, so it changes nothing; did you mean VERSION?\n"
	if r.stderr != want {
		t.Errorf("stderr %q, want %q (once, and nothing about VERSION)", r.stderr, want)
	}
	r = cliRun("validate", "-f", spec, "--arg", "VERSON=1")
	if r.code != exitOK || r.stderr != want {
		t.Errorf("validate: exit %d, stderr %q; want 0 and %q", r.code, r.stderr, want)
	}
	other := cliSpecDir(t, map[string]string{"build.yaml": strings.Replace(cliNoTagsSpec, "name: cli", "name: other", 1) +
		"annotations: {x: \"${ONLY_OTHER}\"}\n"})
	r = cliRun("validate", spec, other, "--arg", "ONLY_OTHER=1", "--arg", "NOBODY=1")
	if r.code != exitOK || r.stderr != "ybuild: --arg NOBODY: no spec refers to ${NOBODY}, so it changes nothing\n" {
		t.Errorf("validate two specs: exit %d, stderr %q; want only NOBODY named", r.code, r.stderr)
	}
}
