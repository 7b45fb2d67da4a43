package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// flowAutoSpec asks for the source and revision annotations from git.
const flowAutoSpec = `apiVersion: ybuild/v1
name: auto
base: scratch
platforms: [linux/amd64]
annotations:
  org.opencontainers.image.source: auto
  org.opencontainers.image.revision: auto
files:
  - {src: app.txt, dst: /app.txt}
`

// flowGit runs git in dir.
func flowGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
		"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// flowNoCI clears the CI variables that would stand in for git.
func flowNoCI(t *testing.T) {
	for _, v := range []string{"GITHUB_SHA", "GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "CI_COMMIT_SHA", "CI_PROJECT_URL"} {
		t.Setenv(v, "")
	}
}

// flowAutoAnnotations builds spec into a layout and returns the index's
// and the manifest's annotations.
func flowAutoAnnotations(t *testing.T, spec string) (idx, man map[string]string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "layout")
	d := cliOneResult(t, cliBuild(t, "-f", spec, "-o", "oci:"+out), "oci:"+out)
	index := e2eJSONIndex(t, out, d)
	return index.Annotations, e2eManifest(t, out, index.Manifests[0].Digest).Annotations
}

// TestFlowAutoAnnotations: source and revision come from the checkout (the
// origin URL without credentials or .git, HEAD), on the index and the
// manifest; a changed tracked file marks the revision -dirty; an untracked
// file does not; outside a checkout the spec is refused (exit 2) at the
// annotation's line; CI variables stand in for git.
func TestFlowAutoAnnotations(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	flowNoCI(t)
	dir := t.TempDir()
	e2eWriteFiles(t, dir, map[string]string{"build.yaml": flowAutoSpec, "app.txt": "v1\n"})
	spec := filepath.Join(dir, "build.yaml")

	res := cliRun("build", "-f", spec, "--no-cache", "-o", "oci:"+filepath.Join(t.TempDir(), "x"))
	if res.code != exitUsage {
		t.Fatalf("auto outside a checkout: exit %d, want 2\n%s", res.code, res.stderr)
	}
	cliCheckStderr(t, res.stderr, spec+`:6:36: annotations["org.opencontainers.image.source"]: auto: `, "not in a git checkout")

	flowGit(t, dir, "init", "-q")
	flowGit(t, dir, "remote", "add", "origin", "https://user:secret@git.example.com/team/app.git")
	flowGit(t, dir, "add", ".")
	flowGit(t, dir, "commit", "-qm", "one")
	head := flowGit(t, dir, "rev-parse", "HEAD")
	e2eWriteFiles(t, dir, map[string]string{"untracked.txt": "x\n"})
	idx, man := flowAutoAnnotations(t, spec)
	for what, a := range map[string]map[string]string{"index": idx, "manifest": man} {
		if a[ocispec.AnnotationSource] != "https://git.example.com/team/app" || a[ocispec.AnnotationRevision] != head {
			t.Errorf("%s annotations %v, want source https://git.example.com/team/app and revision %s", what, a, head)
		}
	}

	e2eWriteFiles(t, dir, map[string]string{"app.txt": "v2\n"})
	idx, _ = flowAutoAnnotations(t, spec)
	if idx[ocispec.AnnotationRevision] != head+"-dirty" {
		t.Errorf("revision with a changed tracked file: %q, want %s-dirty", idx[ocispec.AnnotationRevision], head)
	}

	plain := t.TempDir()
	e2eWriteFiles(t, plain, map[string]string{"build.yaml": flowAutoSpec, "app.txt": "v1\n"})
	t.Setenv("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
	t.Setenv("GITHUB_SERVER_URL", "https://github.com")
	t.Setenv("GITHUB_REPOSITORY", "team/app")
	idx, _ = flowAutoAnnotations(t, filepath.Join(plain, "build.yaml"))
	if idx[ocispec.AnnotationRevision] != "0123456789abcdef0123456789abcdef01234567" || idx[ocispec.AnnotationSource] != "https://github.com/team/app" {
		t.Errorf("annotations from GitHub Actions variables: %v", idx)
	}
}

// TestCleanRemote: credentials, queries and fragments never reach the
// source annotation; a remote that cannot be cleaned for sure is refused.
func TestCleanRemote(t *testing.T) {
	for in, want := range map[string]string{
		"git@github.com:team/app.git":                "https://github.com/team/app",
		"https://u:tok@gitlab.example.com/g/app.git": "https://gitlab.example.com/g/app",
		"ssh://git@host.example.com:2222/x/y.git":    "https://host.example.com/x/y",
		"https://github.com/team/app":                "https://github.com/team/app",
		"https://u:p%2Fw@example.com/g/app.git":      "https://example.com/g/app",
		"https://example.com/g/app.git?token=SECRET": "https://example.com/g/app",
		"https://tok@example.com:8443/g/app.git#x":   "https://example.com:8443/g/app",
	} {
		if got, err := cleanRemote(in); got != want || err != nil {
			t.Errorf("cleanRemote(%q) = %q, %v, want %q", in, got, err, want)
		}
	}
	for _, in := range []string{
		"https://user:pa/SECRET@example.com/g/app.git", // a / in the password: no URL parser finds the user
		"user:SECRET@example.com:g/app.git",            // scp-like with a password
		"https://user:SECRET@[::1/g/app",               // does not parse
	} {
		if got, err := cleanRemote(in); !errors.Is(err, errRemote) || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("cleanRemote(%q) = %q, %v, want errRemote", in, got, err)
		}
	}
}

// TestFlowAutoSourceSecret: an origin URL ybuild cannot strip of its
// password for sure fails source: auto (exit 2, the secret in no message)
// and puts nothing in an image; revision: auto alone still builds.
func TestFlowAutoSourceSecret(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	flowNoCI(t)
	dir := t.TempDir()
	e2eWriteFiles(t, dir, map[string]string{"build.yaml": flowAutoSpec, "app.txt": "v1\n"})
	flowGit(t, dir, "init", "-q")
	flowGit(t, dir, "remote", "add", "origin", "https://user:pa/SECRET@git.example.com/team/app.git")
	flowGit(t, dir, "add", ".")
	flowGit(t, dir, "commit", "-qm", "one")
	out := filepath.Join(t.TempDir(), "x")
	res := cliRun("build", "-f", filepath.Join(dir, "build.yaml"), "--no-cache", "-o", "oci:"+out)
	if res.code != exitUsage || strings.Contains(res.stderr+res.stdout, "SECRET") {
		t.Fatalf("source: auto with a password in origin: exit %d, want 2 without the secret\n%s%s", res.code, res.stdout, res.stderr)
	}
	cliCheckStderr(t, res.stderr, `annotations["org.opencontainers.image.source"]: auto: the origin URL cannot be recorded`)
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the refused build wrote %s", out)
	}
	only := strings.Replace(flowAutoSpec, "  org.opencontainers.image.source: auto\n", "", 1)
	e2eWriteFiles(t, dir, map[string]string{"rev.yaml": only})
	idx, _ := flowAutoAnnotations(t, filepath.Join(dir, "rev.yaml"))
	if idx[ocispec.AnnotationRevision] == "" || strings.Contains(fmt.Sprint(idx), "SECRET") {
		t.Errorf("revision: auto alone: annotations %v", idx)
	}
}
