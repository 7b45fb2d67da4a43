package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// concurrentSpec is a scratch image whose content depends on ${N}.
const concurrentSpec = `apiVersion: ybuild/v1
base: scratch
created: 2024-01-01T00:00:00Z
args: {N: "0"}
files:
  - {content: "build ${N}\n", dst: /n}
`

// TestConcurrentLayoutRefs runs rounds of real ybuild processes at once,
// each writing its own ref into one OCI layout (the first round creates
// it), and checks that index.json ends with every ref, each naming the
// manifest its build printed: no build's ref is lost (the layout's lock
// serialises the read-modify-write of index.json).
func TestConcurrentLayoutRefs(t *testing.T) {
	const rounds, procs = 3, 6
	spec := cliSpecDir(t, map[string]string{"build.yaml": concurrentSpec})
	layout := filepath.Join(t.TempDir(), "layout")
	want := map[string]digest.Digest{}
	for r := range rounds {
		for ref, d := range concurrentRound(t, spec, layout, r, procs) {
			want[ref] = d
		}
		got := map[string]digest.Digest{}
		for _, e := range cliLayoutIndex(t, layout).Manifests {
			got[e.Annotations[ocispec.AnnotationRefName]] = e.Digest
		}
		for ref, d := range want {
			if got[ref] != d {
				t.Errorf("round %d: index.json has %s → %q, want %s", r, ref, got[ref], d)
			}
		}
		if len(got) != len(want) {
			t.Errorf("round %d: index.json has %d refs, want %d", r, len(got), len(want))
		}
	}
	if _, err := os.Lstat(filepath.Join(layout, "index.json.lock")); err == nil {
		t.Error("the lock file stayed after the builds")
	}
}

// concurrentRound starts procs builds at once and returns ref → digest.
func concurrentRound(t *testing.T, spec, layout string, round, procs int) map[string]digest.Digest {
	t.Helper()
	exe := testExecutable(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	out := map[string]digest.Digest{}
	start := make(chan struct{})
	for i := range procs {
		n := fmt.Sprintf("%d-%d", round, i)
		dest := "oci:" + layout + ":ref-" + n
		cmd := exec.Command(exe, "-f", spec, "--arg", "N="+n, "-o", dest, "--progress", "quiet", "--no-cache")
		cmd.Env = append(os.Environ(), "YBUILD_TEST_MAIN=1")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if err := cmd.Run(); err != nil {
				t.Errorf("build %s: %v\n%s", n, err, stderr.String())
				return
			}
			line := strings.Fields(stdout.String())
			mu.Lock()
			defer mu.Unlock()
			if len(line) < 2 {
				t.Errorf("build %s: stdout %q", n, stdout.String())
				return
			}
			out["ref-"+n] = digest.Digest(line[len(line)-1])
		}()
	}
	close(start)
	wg.Wait()
	return out
}
