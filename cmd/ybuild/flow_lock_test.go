package main

import (
	"github.com/opencontainers/go-digest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/internal/testbase"
	"github.com/ybuild/ybuild/lock"
)

// flowLockSpec builds on BASE (a registry tag) and adds one file.
const flowLockSpec = `apiVersion: ybuild/v1
name: locked
base: ${BASE}
created: 2024-01-02T03:04:05Z
%PLATFORMS%
files:
  - {content: "locked app\n", dst: /app.txt}
`

// flowWriteSpec writes the lock test's spec with the base and platforms line.
func flowWriteSpec(t *testing.T, path, base, platforms string) {
	t.Helper()
	s := strings.Replace(flowLockSpec, "${BASE}", base, 1)
	s = strings.Replace(s, "%PLATFORMS%", platforms, 1)
	cliMust(t, os.WriteFile(path, []byte(s), 0o644))
}

// flowTagRequests lists the requests that asked the registry about tag.
func flowTagRequests(reg *registrytest.Registry, tag string) []string {
	var out []string
	for _, r := range reg.Counter.Requests() {
		if strings.HasSuffix(r.Path, "/manifests/"+tag) {
			out = append(out, r.String())
		}
	}
	return out
}

// TestFlowLockMovingTag: against the real distribution registry, a lock
// keeps building the same digest after the base tag moved, without asking
// about the tag; lock --check sees the move; --locked refuses a lock that
// no longer matches the spec; lock --update moves the pin (printing old →
// new) and the build then uses the new base.
func TestFlowLockMovingTag(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	baseDir := filepath.Join(t.TempDir(), "base")
	info := testbase.Layout(t, baseDir)
	baseRef := reg.Host + "/lib/base:1"
	reg.PushLayout(t, baseDir, testbase.Ref, baseRef)

	dir := t.TempDir()
	specPath := filepath.Join(dir, "build.yaml")
	flowWriteSpec(t, specPath, baseRef, "")
	res := cliRun("lock", "-f", specPath, "--cache-dir", t.TempDir())
	if res.code != 0 {
		t.Fatalf("lock: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	l, err := lock.Read(filepath.Join(dir, "build.lock"))
	cliMust(t, err)
	amd := info.Image(t, "linux/amd64").Manifest.Digest
	if d, _ := l.Platform("linux/amd64"); l.Digest != info.Index.Digest || d != amd || len(l.Platforms) != 1 {
		t.Fatalf("lock pins %s with %+v, want index %s with linux/amd64 %s", l.Digest, l.Platforms, info.Index.Digest, amd)
	}

	lockBytes := mustRead(t, filepath.Join(dir, "build.lock"))
	if res := cliRun("lock", "-f", specPath); res.code != 0 || !strings.Contains(res.stdout, "build.lock: up to date") ||
		mustRead(t, filepath.Join(dir, "build.lock")) != lockBytes {
		t.Errorf("lock again: exit %d, want \"up to date\" and the same file\n%s%s", res.code, res.stdout, res.stderr)
	}
	if res := cliRun("lock", "--update", "-f", specPath, "--cache-dir", t.TempDir()); res.code != 0 ||
		!strings.Contains(res.stdout, "(unchanged)") || mustRead(t, filepath.Join(dir, "build.lock")) != lockBytes {
		t.Errorf("lock --update before the tag moved: exit %d, want unchanged\n%s%s", res.code, res.stdout, res.stderr)
	}

	out1 := filepath.Join(dir, "out1")
	first := flowLockedBuild(t, specPath, out1)

	// Move the tag: push an image with another file, for two platforms.
	moverDir := t.TempDir()
	mover := filepath.Join(moverDir, "build.yaml")
	flowWriteSpec(t, mover, baseRef, "platforms: [linux/amd64, linux/arm64]")
	cliMust(t, os.WriteFile(mover, []byte(strings.Replace(mustRead(t, mover), "locked app", "moved", 1)), 0o644))
	moved := cliOneResult(t, cliBuild(t, "-f", mover, "--cache-dir", t.TempDir(), "-o", "docker://"+baseRef), "docker://"+baseRef)

	reg.Counter.Reset()
	again := flowLockedBuild(t, specPath, filepath.Join(dir, "out2"))
	if again != first {
		t.Fatalf("after the tag moved, the locked build gave %s, want %s", again, first)
	}
	if tags := flowTagRequests(reg, "1"); len(tags) != 0 {
		t.Errorf("the locked build asked about the tag: %v", tags)
	}
	if n := reg.Counter.Count("", "/manifests/"+info.Index.Digest.String()); n == 0 {
		t.Errorf("the locked build never fetched the pinned index by digest: %v", reg.Counter.Requests())
	}

	check := cliRun("lock", "--check", "-f", specPath, "--cache-dir", t.TempDir())
	if check.code != 1 || !strings.Contains(check.stdout, "behind") || !strings.Contains(check.stdout, info.Index.Digest.String()+" → "+moved.String()) {
		t.Errorf("lock --check after the move: exit %d, want 1 with old → new\n%s%s", check.code, check.stdout, check.stderr)
	}

	// The spec now builds two platforms: the lock pins one.
	flowWriteSpec(t, specPath, baseRef, "platforms: [linux/amd64, linux/arm64]")
	out3 := filepath.Join(dir, "out3")
	stale := cliRun("build", "--locked", "-f", specPath, "--cache-dir", t.TempDir(), "-o", "oci:"+out3)
	if stale.code != exitUsage {
		t.Fatalf("--locked with a stale lock: exit %d, want 2\n%s", stale.code, stale.stderr)
	}
	cliCheckStderr(t, stale.stderr, "build.lock", "linux/arm64 is not pinned")
	if _, err := os.Stat(out3); !os.IsNotExist(err) {
		t.Errorf("the refused build wrote %s", out3)
	}

	upd := cliRun("lock", "--update", "-f", specPath, "--cache-dir", t.TempDir())
	if upd.code != 0 {
		t.Fatalf("lock --update: exit %d\n%s", upd.code, upd.stderr)
	}
	t.Logf("lock --update:\n%s", upd.stdout)
	l2, err := lock.Read(filepath.Join(dir, "build.lock"))
	cliMust(t, err)
	newAmd, _ := l2.Platform("linux/amd64")
	for _, want := range []string{info.Index.Digest.String() + " → " + moved.String(), amd.String() + " → " + newAmd.String(), "linux/arm64", "(new)"} {
		if !strings.Contains(upd.stdout, want) {
			t.Errorf("lock --update printed:\n%s\nwant %q", upd.stdout, want)
		}
	}
	if l2.Digest != moved {
		t.Errorf("lock --update pinned %s, want the moved tag's %s", l2.Digest, moved)
	}
	out4 := filepath.Join(dir, "out4")
	stdout := e2eBuild(t, "--locked", "-f", specPath, "--cache-dir", t.TempDir(), "-o", "oci:"+out4)
	idx := e2eJSONIndex(t, out4, cliOneResult(t, stdout, "oci:"+out4))
	for _, m := range idx.Manifests {
		man := e2eManifest(t, out4, m.Digest)
		want, _ := l2.Platform(platformName(*m.Platform))
		if got := man.Annotations[ocispec.AnnotationBaseImageDigest]; got != want.String() {
			t.Errorf("%s: base.digest %s, want the updated lock's %s", platformName(*m.Platform), got, want)
		}
	}
}

// flowLockedBuild builds spec into an OCI layout with a fresh cache and
// checks that it said it used the lock; it returns the digest.
func flowLockedBuild(t *testing.T, spec, out string) (d digest.Digest) {
	t.Helper()
	res := cliRun("build", "--progress", "quiet", "-f", spec, "--cache-dir", t.TempDir(), "-o", "oci:"+out)
	if res.code != 0 {
		t.Fatalf("locked build: exit %d\n%s", res.code, res.stderr)
	}
	if n := strings.Count(res.stderr, "locked at"); n != 1 {
		t.Errorf("stderr:\n%s\nwant one line saying the base is locked", res.stderr)
	}
	return cliOneResult(t, res.stdout, "oci:"+out)
}

// mustRead reads a file.
func mustRead(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	cliMust(t, err)
	return string(data)
}

// e2eJSONIndex reads the index blob d of an OCI layout.
func e2eJSONIndex(t *testing.T, layout string, d digest.Digest) ocispec.Index {
	t.Helper()
	var idx ocispec.Index
	e2eJSON(t, "index", e2eBlob(t, layout, d), &idx)
	return idx
}

// TestFlowLockPlatformFlagHint: a --platform build the lock does not pin is
// told a command that fixes it, pinning the lock's platforms and the new
// one; it said `ybuild lock -f FILE`, which pins the spec's platforms and
// reported the lock up to date. Following the hint makes both builds pass.
func TestFlowLockPlatformFlagHint(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	baseDir := filepath.Join(t.TempDir(), "base")
	testbase.Layout(t, baseDir)
	baseRef := reg.Host + "/lib/base:1"
	reg.PushLayout(t, baseDir, testbase.Ref, baseRef)
	dir := t.TempDir()
	specPath := filepath.Join(dir, "build.yaml")
	flowWriteSpec(t, specPath, baseRef, "")
	cache := t.TempDir()
	if res := cliRun("lock", "-f", specPath, "--cache-dir", cache); res.code != 0 {
		t.Fatalf("lock: exit %d\n%s", res.code, res.stderr)
	}
	arm := []string{"build", "--locked", "-f", specPath, "--platform", "linux/arm64", "--cache-dir", cache, "-o", "oci:" + filepath.Join(dir, "out"), "--progress", "quiet"}
	res := cliRun(arm...)
	fix := "ybuild lock -f " + specPath + " --platform linux/amd64,linux/arm64"
	if res.code != exitUsage {
		t.Fatalf("--locked --platform linux/arm64: exit %d, want 2\n%s", res.code, res.stderr)
	}
	cliCheckStderr(t, res.stderr, "linux/arm64 is not pinned", "run `"+fix+"`")
	if res := cliRun(append(strings.Fields(fix)[1:], "--cache-dir", cache)...); res.code != 0 {
		t.Fatalf("%s: exit %d\n%s", fix, res.code, res.stderr)
	}
	amd := []string{"build", "--locked", "-f", specPath, "--cache-dir", cache, "-o", "oci:" + filepath.Join(dir, "out2"), "--progress", "quiet"}
	for _, args := range [][]string{arm, amd} {
		if res := cliRun(args...); res.code != exitOK {
			t.Errorf("after the hint, ybuild %s: exit %d\n%s", strings.Join(args, " "), res.code, res.stderr)
		}
	}
}
