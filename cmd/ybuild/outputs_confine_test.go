package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSpecOutputsConfined: a spec from someone else (a pull request's
// build.yaml) replaced any file the user could write: outputs:
// [oci-archive:../victim/notes.txt] turned notes.txt into a tar, and a
// layer's bytes can hold lines a shell or sshd reads (~/.bashrc,
// ~/.ssh/authorized_keys). A spec's local outputs, and the default
// build/<name>, must now lead (through .., an absolute path or a
// symbolic link) into the working directory or the spec's directory:
// anything else is exit 2 at the entry, with nothing written; -o writes
// anywhere, and ../out under the working directory still works.
func TestSpecOutputsConfined(t *testing.T) {
	root := t.TempDir()
	victim := filepath.Join(root, "victim")
	repo := filepath.Join(root, "work", "repo")
	e2eWriteFiles(t, root, map[string]string{"victim/notes.txt": "precious\n", "work/repo/app/.keep": ""})
	cliMust(t, os.Symlink(victim, filepath.Join(repo, "link")))
	t.Chdir(repo)
	specDir := filepath.Join(root, "specs")
	up, err := filepath.Rel(specDir, filepath.Join(victim, "notes.txt"))
	cliMust(t, err)
	for name, outputs := range map[string]string{
		"dotdot":   "outputs: [\"oci-archive:" + up + "\"]\n",
		"absolute": "outputs: [\"oci:" + victim + "/layout\"]\n",
		"symlink":  "outputs: [\"oci-archive:" + filepath.Join(repo, "link", "notes.txt") + "\"]\n",
	} {
		// The spec's outputs lead out of its directory and out of the
		// working directory.
		e2eWriteFiles(t, specDir, map[string]string{"build.yaml": "apiVersion: ybuild/v1\nname: x\nbase: scratch\n" + outputs +
			"files:\n  - {content: \"hi\\n\", dst: /hi}\n"})
		res := cliRun("build", "-f", filepath.Join(specDir, "build.yaml"), "--progress", "quiet", "--no-cache")
		if res.code != exitUsage || strings.Count(strings.TrimSpace(res.stderr), "\n") != 0 {
			t.Errorf("%s: exit %d, want 2 and one line:\n%s", name, res.code, res.stderr)
		}
		cliCheckStderr(t, res.stderr, "build.yaml:4:", "outputs[0]: a spec's output must be inside the working directory")
	}
	// The default build/<name> through a symbolic link the spec's
	// directory holds.
	e2eWriteFiles(t, specDir, map[string]string{"build.yaml": "apiVersion: ybuild/v1\nname: x\nbase: scratch\nfiles:\n  - {content: \"hi\\n\", dst: /hi}\n"})
	cliMust(t, os.Symlink(victim, filepath.Join(specDir, "build")))
	if res := cliRun("build", "-f", filepath.Join(specDir, "build.yaml"), "--progress", "quiet", "--no-cache"); res.code != exitUsage {
		t.Errorf("default output through a symlink: exit %d, want 2:\n%s", res.code, res.stderr)
	}
	if got := mustRead(t, filepath.Join(victim, "notes.txt")); got != "precious\n" {
		t.Fatalf("notes.txt was replaced: %.40q", got)
	}
	if ents, _ := os.ReadDir(victim); len(ents) != 1 {
		t.Errorf("the victim directory holds %d entries, want notes.txt only", len(ents))
	}
	// Allowed: -o anywhere; ../ under the working directory; the spec's
	// own directory.
	inner := filepath.Join(repo, "app", "build.yaml")
	e2eWriteFiles(t, filepath.Join(repo, "app"), map[string]string{"build.yaml": "apiVersion: ybuild/v1\nname: x\nbase: scratch\n" +
		"outputs: [\"oci:../out/x\", \"oci-archive:x.tar\"]\nfiles:\n  - {content: \"hi\\n\", dst: /hi}\n"})
	cliBuild(t, "-f", inner, "--progress", "quiet")
	cliBuild(t, "-f", filepath.Join(specDir, "build.yaml"), "-o", "oci:"+filepath.Join(victim, "layout"), "--progress", "quiet")
	for _, p := range []string{filepath.Join(repo, "out", "x", "index.json"), filepath.Join(repo, "app", "x.tar"), filepath.Join(victim, "layout", "index.json")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("allowed output: %v", err)
		}
	}
}

// TestManySpecsSameArchive: two specs of one call that write the same
// archive are refused (exit 2) before anything is built; the archive
// written last silently replaced the other while both were reported
// written. The same spec given twice still builds.
func TestManySpecsSameArchive(t *testing.T) {
	root := t.TempDir()
	t.Chdir(root)
	spec := "apiVersion: ybuild/v1\nname: NAME\nbase: scratch\noutputs: [\"oci-archive:../out.tar\"]\nfiles:\n  - {content: \"NAME\\n\", dst: /n}\n"
	e2eWriteFiles(t, root, map[string]string{
		"a/build.yaml": strings.ReplaceAll(spec, "NAME", "a"), "b/build.yaml": strings.ReplaceAll(spec, "NAME", "b"),
	})
	res := cliRun("build", "a/build.yaml", "b/build.yaml", "--progress", "quiet", "--no-cache")
	if res.code != exitUsage {
		t.Fatalf("exit %d, want 2:\n%s", res.code, res.stderr)
	}
	cliCheckStderr(t, res.stderr, "a/build.yaml and ", "b/build.yaml both write the archive")
	if _, err := os.Stat(filepath.Join(root, "out.tar")); !os.IsNotExist(err) {
		t.Errorf("out.tar was written: %v", err)
	}
	if res := cliRun("build", "a/build.yaml", "a/build.yaml", "--progress", "quiet", "--no-cache"); res.code != exitOK {
		t.Errorf("the same spec twice: exit %d\n%s", res.code, res.stderr)
	}
}
