package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/lock"
)

// TestFlowLockBadInput: a missing lock with --locked, a corrupt lock, a
// hand-edited platform digest or field, a pinned digest the registry does
// not have, the lock of another spec, a lock that is a dangling link or a
// directory, and a lock for a local base each give one line, exit 2, and
// write nothing.
func TestFlowLockBadInput(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	base := reg.Host + "/lib/small:1"
	flowPushScratchBase(t, reg, filepath.Join(t.TempDir(), "base"), base)
	dir := t.TempDir()
	spec := filepath.Join(dir, "build.yaml")
	e2eWriteFiles(t, dir, map[string]string{"build.yaml": strings.Replace(strings.Replace(flowManySpec, "NAME", "bad", -1), "BASE", base, 1)})
	lockPath := filepath.Join(dir, "build.lock")
	build := func() cliResult {
		return cliRun("build", "--progress", "quiet", "--locked", "-f", spec, "--cache-dir", t.TempDir(), "-o", "oci:"+filepath.Join(dir, "out"))
	}
	check := func(name string, res cliResult, want ...string) {
		t.Helper()
		if res.code != exitUsage {
			t.Errorf("%s: exit %d, want 2\n%s", name, res.code, res.stderr)
			return
		}
		cliCheckStderr(t, res.stderr, want...)
		if n := strings.Count(strings.TrimSpace(res.stderr), "\n"); n > 1 { // the "locked at" line may precede
			t.Errorf("%s: %d lines on stderr:\n%s", name, n+1, res.stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
			t.Errorf("%s: the build wrote its output", name)
		}
	}
	check("no lock", build(), "build.lock: no lockfile (--locked): run `ybuild lock")

	if res := cliRun("lock", "-f", spec, "--cache-dir", t.TempDir()); res.code != 0 {
		t.Fatalf("lock: exit %d\n%s", res.code, res.stderr)
	}
	good := mustRead(t, lockPath)
	if res := build(); res.code != 0 {
		t.Fatalf("build with the lock: exit %d\n%s", res.code, res.stderr)
	}
	cliMust(t, os.RemoveAll(filepath.Join(dir, "out")))

	lines := strings.Split(good, "\n")
	amdLine := lines[len(lines)-2] // "  linux/amd64: sha256:…"
	fake := digest.FromString("edited")
	for name, c := range map[string]struct{ lock, want string }{
		"corrupt":         {good[:len(good)/2] + "\x00garbage: [", "invalid lockfile"},
		"edited platform": {strings.Replace(good, amdLine, "  linux/amd64: "+fake.String(), 1), "linux/amd64 is pinned to"},
		"edited index":    {strings.Replace(good, "\ndigest: ", "\ndigest: "+fake.String()+"\nx: ", 1), "invalid lockfile"},
		"unknown digest":  {flowReplaceTopDigest(t, good, fake), "the pinned base"},
		"other spec":      {strings.Replace(good, `spec: "build.yaml"`, `spec: "other.yaml"`, 1), "it is the lock of other.yaml, not of build.yaml"},
		"unwritten field": {good + "mediaType: application/vnd.oci.image.index.v1+json\n", "invalid lockfile"},
	} {
		cliMust(t, os.WriteFile(lockPath, []byte(c.lock), 0o644))
		check(name, build(), "build.lock", c.want)
	}
	// An invalid lock names the command that replaces it, and that
	// command does (plain lock refuses to overwrite it).
	cliMust(t, os.WriteFile(lockPath, []byte(strings.Replace(good, `spec: "build.yaml"`, `spec: "other.yaml"`, 1)), 0o644))
	check("replace hint", build(), "run `ybuild lock --update -f ")
	check("plain lock", cliRun("lock", "-f", spec), "run `ybuild lock --update -f ")
	if res := cliRun("lock", "--update", "-f", spec, "--cache-dir", t.TempDir()); res.code != 0 || mustRead(t, lockPath) != good {
		t.Errorf("lock --update over an invalid lock: exit %d, lock:\n%s\n%s", res.code, mustRead(t, lockPath), res.stderr)
	}
	// A lock that is a link to nothing is not a missing lock: without
	// --locked it must not quietly resolve the tag.
	cliMust(t, os.Remove(lockPath))
	cliMust(t, os.Symlink(filepath.Join(dir, "gone.lock"), lockPath))
	check("dangling link", cliRun("build", "--progress", "quiet", "-f", spec, "-o", "oci:"+filepath.Join(dir, "out")),
		"build.lock: invalid lockfile: a symbolic link to a missing file")
	cliMust(t, os.Remove(lockPath))
	cliMust(t, os.Mkdir(lockPath, 0o755))
	check("directory", build(), "build.lock: invalid lockfile: not a regular file")
	cliMust(t, os.Remove(lockPath))
	cliMust(t, os.WriteFile(lockPath, []byte(good), 0o644))
	cliMust(t, os.WriteFile(spec, []byte(strings.Replace(mustRead(t, spec), "base: "+base, "base: scratch", 1)), 0o644))
	check("local base", build(), "a lock pins registry bases only")
	check("lock a local base", cliRun("lock", "-f", spec), "a lock pins registry bases only")
}

// flowReplaceTopDigest replaces the lock's top-level digest with d.
func flowReplaceTopDigest(t *testing.T, lock string, d digest.Digest) string {
	t.Helper()
	for _, l := range strings.Split(lock, "\n") {
		if old, ok := strings.CutPrefix(l, "digest: "); ok {
			return strings.Replace(lock, "digest: "+old, "digest: "+d.String(), 1)
		}
	}
	t.Fatal("no digest line in the lock")
	return ""
}

// TestFlowLockDockerScheme: a base written docker://REF is locked and
// built from the lock like a bare reference.
func TestFlowLockDockerScheme(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	base := reg.Host + "/lib/small:1"
	flowPushScratchBase(t, reg, filepath.Join(t.TempDir(), "base"), base)
	spec := cliSpecDir(t, map[string]string{"build.yaml": strings.Replace(strings.Replace(flowManySpec, "NAME", "d", -1), "BASE", "docker://"+base, 1)})
	if res := cliRun("lock", "-f", spec, "--cache-dir", t.TempDir()); res.code != 0 {
		t.Fatalf("lock: exit %d\n%s", res.code, res.stderr)
	}
	reg.Counter.Reset()
	res := cliRun("build", "--progress", "quiet", "--locked", "-f", spec, "--cache-dir", t.TempDir(), "-o", "oci:"+filepath.Join(t.TempDir(), "out"))
	if res.code != 0 || !strings.Contains(res.stderr, "locked at") {
		t.Fatalf("locked build: exit %d\n%s", res.code, res.stderr)
	}
	if tags := flowTagRequests(reg, "1"); len(tags) != 0 {
		t.Errorf("the locked build asked about the tag: %v", tags)
	}
}

// TestFlowLockDigestBase: a spec that names its base by digest cannot be
// moved by its lock: a lock edited to another image of the repository is
// refused (exit 2), not built from.
func TestFlowLockDigestBase(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	base := reg.Host + "/lib/small:1"
	flowPushScratchBase(t, reg, filepath.Join(t.TempDir(), "base"), base)
	other := cliSpecDir(t, map[string]string{"build.yaml": "apiVersion: ybuild/v1\nname: o\nbase: " + base + "\nfiles:\n  - {content: \"o\\n\", dst: /o}\n"})
	res := cliRun("build", "--progress", "quiet", "-f", other, "-o", "docker://"+reg.Host+"/lib/small:2")
	otherDigest := cliOneResult(t, res.stdout, "docker://"+reg.Host+"/lib/small:2")

	dir := t.TempDir()
	spec := filepath.Join(dir, "build.yaml")
	e2eWriteFiles(t, dir, map[string]string{"build.yaml": strings.Replace(strings.Replace(flowManySpec, "NAME", "pin", -1), "BASE", base, 1)})
	if res := cliRun("lock", "-f", spec); res.code != 0 {
		t.Fatalf("lock: exit %d\n%s", res.code, res.stderr)
	}
	l, err := lock.Read(filepath.Join(dir, "build.lock"))
	cliMust(t, err)
	pinned := strings.Replace(mustRead(t, spec), "base: "+base, "base: "+base+"@"+l.Digest.String(), 1)
	cliMust(t, os.WriteFile(spec, []byte(pinned), 0o644))
	l.Base += "@" + l.Digest.String()
	l.Digest, l.Platforms[0].Digest = otherDigest, otherDigest // a single manifest: its own platform
	cliMust(t, lock.Write(filepath.Join(dir, "build.lock"), l))
	out := filepath.Join(dir, "out")
	res = cliRun("build", "--progress", "quiet", "-f", spec, "-o", "oci:"+out)
	if res.code != exitUsage || !strings.Contains(res.stderr, "the spec pins the base to") {
		t.Fatalf("a lock moving a base named by digest: exit %d, want 2\n%s%s", res.code, res.stdout, res.stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the refused build wrote %s", out)
	}
}
