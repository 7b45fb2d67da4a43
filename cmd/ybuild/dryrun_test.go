package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ybuild/ybuild/internal/registrytest"
)

// TestDryRunRegistryErrors: a dry run asks the target registry which blobs
// it has; only a "not found" answer means a blob is to upload. When the
// registry refuses (403) or keeps failing (503), the dry run fails (exit
// 1) saying it cannot tell and why, instead of reporting every blob as
// missing; with the faults gone the same dry run plans every blob as to
// write.
func TestDryRunRegistryErrors(t *testing.T) {
	spec := cliSpecDir(t, map[string]string{"build.yaml": strings.Replace(strings.Replace(flowManySpec, "NAME", "m", -1), "BASE", "scratch", 1)})
	for _, tc := range []struct {
		name   string
		status int
		want   []string
	}{
		{"forbidden", http.StatusForbidden, []string{"cannot tell whether the registry has blob sha256:", "unauthorized"}},
		{"unavailable", http.StatusServiceUnavailable, []string{"cannot tell whether the registry has blob sha256:", "503"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := registrytest.New(t, registrytest.Options{})
			reg.Inject(registrytest.Fault{Method: http.MethodHead, Path: "/team/m/", Status: tc.status})
			args := []string{"build", "--progress", "quiet", "--dry-run", "--json", "--retries", "0", "--cache-dir", t.TempDir(),
				"-f", spec, "-o", "docker://" + reg.Host + "/team/m:1"}
			res := cliRun(args...)
			if res.code != exitBuild {
				t.Fatalf("dry run: exit %d, want 1; stdout %s; stderr %s", res.code, res.stdout, res.stderr)
			}
			t.Logf("stderr: %s", res.stderr)
			cliCheckStderr(t, res.stderr, append(tc.want, "docker://"+reg.Host+"/team/m:1")...)
			if res.stdout != "" {
				t.Errorf("a failed dry run printed a plan: %s", res.stdout)
			}

			reg.ClearFaults()
			res = cliRun(args...)
			if res.code != 0 {
				t.Fatalf("dry run without faults: exit %d\n%s", res.code, res.stderr)
			}
			var plan buildPlan
			cliMust(t, json.Unmarshal([]byte(res.stdout), &plan))
			if len(plan.Outputs) != 1 || len(plan.Outputs[0].Present) != 0 || len(plan.Outputs[0].Write) != 3 {
				t.Fatalf("plan %+v: want the layer, config and manifest to write", plan)
			}
		})
	}
}
