package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestProvenanceRemoteNoSecret: the provenance statement names the
// checkout's origin without the credential a CI clone URL carries, in
// every form: user:token@ (dropped), a token holding a / (the URL does not
// parse: it was recorded whole), a token in the query, and user:token@host:path
// (an opaque URL, recorded whole before). Every blob of the layout is searched.
func TestProvenanceRemoteNoSecret(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	for remote, want := range map[string]string{
		"https://ci-token:SECRET-a@git.example.com/team/app.git":      "git+https://git.example.com/team/app.git",
		"https://oauth2:SECRET/b@git.example.com/team/app.git":        "",
		"https://git.example.com/team/app.git?private_token=SECRET-c": "git+https://git.example.com/team/app.git",
		"oauth2:SECRET-d@git.example.com:team/app.git":                "",
		"git@git.example.com:team/app.git":                            "git+git@git.example.com:team/app.git",
	} {
		dir := t.TempDir()
		e2eWriteFiles(t, dir, map[string]string{"build.yaml": cliSpec, "hello.txt": "hello\n"})
		flowGit(t, dir, "init", "-q")
		flowGit(t, dir, "remote", "add", "origin", remote)
		flowGit(t, dir, "add", ".")
		flowGit(t, dir, "commit", "-qm", "one")
		layout := filepath.Join(t.TempDir(), "layout")
		cliBuild(t, "-f", filepath.Join(dir, "build.yaml"), "-o", "oci:"+layout, "--provenance")
		var all strings.Builder
		cliMust(t, filepath.WalkDir(layout, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			all.Write(data)
			return err
		}))
		if strings.Contains(all.String(), "SECRET") {
			t.Errorf("origin %q: the layout holds the credential", remote)
		}
		if !strings.Contains(all.String(), `"gitCommit"`) {
			t.Fatalf("origin %q: no provenance naming the commit in the layout", remote)
		}
		if want != "" && !strings.Contains(all.String(), `"uri":"`+want+`"`) && !strings.Contains(all.String(), `"uri": "`+want+`"`) {
			t.Errorf("origin %q: the provenance does not name %s", remote, want)
		}
	}
}
