package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEnvExpansionBounded: config.env values refer to the ones before, so
// a spec of a few lines grew a value a hundredfold per line (64 GB at A5):
// the process ran out of memory and died with a Go stack trace. Past
// 4 MiB in all the build stops: exit 2, one line at config.env, no output.
func TestEnvExpansionBounded(t *testing.T) {
	var env strings.Builder
	env.WriteString("    A0: \"" + strings.Repeat("x", 64) + "\"\n")
	for i := 1; i <= 5; i++ {
		env.WriteString("    A" + string(rune('0'+i)) + ": \"" + strings.Repeat("$A"+string(rune('0'+i-1)), 100) + "\"\n")
	}
	spec := cliSpecDir(t, map[string]string{"build.yaml": "apiVersion: ybuild/v1\nbase: scratch\nfiles:\n  - {content: x, dst: /x}\nconfig:\n  env:\n" + env.String()})
	out := filepath.Join(t.TempDir(), "image")
	res := cliRun("build", "-f", spec, "-o", "oci:"+out, "--progress", "quiet", "--no-cache")
	if res.code != exitUsage || strings.Count(strings.TrimSpace(res.stderr), "\n") != 0 {
		t.Fatalf("exit %d, want 2 and one line:\n%.2000s", res.code, res.stderr)
	}
	cliCheckStderr(t, res.stderr, "build.yaml:10:9: config.env.A3: the values expand to too many bytes")
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the output was written: %v", err)
	}
}
