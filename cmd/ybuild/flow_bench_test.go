package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/internal/testbase"
)

// flowBenchSpecs is how many specs BenchmarkFlowManySpecs builds.
const flowBenchSpecs = 20

// flowBenchTree writes n specs on a registry base, each with 2 layers of
// its own files (256 KiB of incompressible data, a config file).
func flowBenchTree(b *testing.B, base string, n int) []string {
	root := b.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	var files []string
	for i := range n {
		dir := filepath.Join(root, fmt.Sprintf("svc%02d", i))
		data := make([]byte, 256<<10)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		spec := fmt.Sprintf("apiVersion: ybuild/v1\nname: svc%02d\nbase: %s\ncreated: 2024-01-01T00:00:00Z\n"+
			"layers:\n  - files: [{src: bin/, dst: /opt/svc/}]\n  - files: [{content: \"id = %d\\n\", dst: /etc/svc.conf}]\n", i, base, i)
		benchMust(b, os.MkdirAll(filepath.Join(dir, "bin"), 0o755))
		benchMust(b, os.WriteFile(filepath.Join(dir, "bin", "svc"), data, 0o755))
		benchMust(b, os.WriteFile(filepath.Join(dir, "build.yaml"), []byte(spec), 0o644))
		files = append(files, filepath.Join(dir, "build.yaml"))
	}
	return files
}

// BenchmarkFlowManySpecs compares 20 specs on one registry base built by
// one ybuild process (many specs at once) and by 20 processes, one after
// another, each with a cold cache directory shared by the run. Figures are
// in docs/performance.md.
func BenchmarkFlowManySpecs(b *testing.B) {
	reg := registrytest.New(b, registrytest.Options{})
	baseDir := filepath.Join(b.TempDir(), "base")
	testbase.Layout(b, baseDir)
	base := reg.Host + "/lib/busybox:1"
	reg.PushLayout(b, baseDir, testbase.Ref, base)
	files := flowBenchTree(b, base, flowBenchSpecs)
	exe, err := os.Executable()
	benchMust(b, err)
	ybuild := func(args ...string) {
		cmd := exec.Command(exe, append([]string{"build", "--progress", "quiet"}, args...)...)
		cmd.Env = append(os.Environ(), "YBUILD_TEST_MAIN=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("ybuild %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	b.Run("one-call", func(b *testing.B) {
		for b.Loop() {
			ybuild(append([]string{"--cache-dir", b.TempDir()}, files...)...)
		}
	})
	b.Run("separate-calls", func(b *testing.B) {
		for b.Loop() {
			cache := b.TempDir()
			for _, f := range files {
				ybuild("--cache-dir", cache, "-f", f)
			}
		}
	})
}

// benchMust fails the benchmark on an error.
func benchMust(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}
