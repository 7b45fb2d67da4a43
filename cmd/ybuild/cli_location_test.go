package main

import (
	"path/filepath"
	"testing"

	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/internal/testbase"
)

// TestDockerBaseInSpec checks that a spec's base may be written docker://REF,
// as inspect and -o accept it (it was refused: "must be scratch, oci:…"),
// and that it builds the same image as the bare REF.
func TestDockerBaseInSpec(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	baseDir := filepath.Join(t.TempDir(), "base")
	testbase.Layout(t, baseDir)
	baseRef := reg.Host + "/lib/busybox:1"
	reg.PushLayout(t, baseDir, testbase.Ref, baseRef)

	file := e2eHelloDir(t)
	cache := t.TempDir()
	if r := cliRun("validate", "-f", file, "--arg", "BASE=docker://"+baseRef); r.code != exitOK {
		t.Fatalf("validate with base docker://%s: exit %d: %s", baseRef, r.code, r.stderr)
	}
	digests := map[string]string{}
	for _, base := range []string{"docker://" + baseRef, baseRef} {
		out := filepath.Join(t.TempDir(), "out")
		stdout := cliBuild(t, "-f", file, "--arg", "BASE="+base, "--cache-dir", cache, "-o", "oci:"+out)
		d := cliOneResult(t, stdout, "oci:"+out)
		digests[base] = d.String()
		m := e2eManifest(t, out, d)
		if got, want := m.Annotations["org.opencontainers.image.base.name"], baseRef; got != want {
			t.Errorf("base %s: base.name annotation %q, want %q", base, got, want)
		}
	}
	if digests["docker://"+baseRef] != digests[baseRef] {
		t.Errorf("docker://REF and REF built different images: %v", digests)
	}
	if r := cliRun("inspect", "--cache-dir", cache, "docker://"+baseRef); r.code != exitOK {
		t.Errorf("inspect docker://%s: exit %d: %s", baseRef, r.code, r.stderr)
	}
}
