package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ybuild/ybuild/internal/registrytest"
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

// TestSignedURLNotPrinted: a registry redirects a blob to a storage URL
// signed in its query; when that request fails, Go's error quotes the URL
// whole, and the signature (a credential to read the blob until it
// expires) was printed and written into --metadata-file. The query is
// now redacted; the host is still named.
func TestSignedURLNotPrinted(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	cache := t.TempDir()
	cliOneResult(t, cliBuild(t, "-f", cliSpecDir(t, map[string]string{"build.yaml": cliSpec}), "--cache-dir", cache,
		"-o", "docker://"+reg.Host+"/base:1"), "docker://"+reg.Host+"/base:1")
	reg.Inject(registrytest.Fault{Method: http.MethodGet, Path: "/blobs/", Status: http.StatusTemporaryRedirect,
		Header: http.Header{"Location": {"http://127.0.0.1:1/bucket/blob?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=SECRETSIG"}}})
	spec := cliSpecDir(t, map[string]string{"build.yaml": strings.Replace(cliSpec, "base: scratch", "base: docker://"+reg.Host+"/base:1", 1)})
	meta := filepath.Join(t.TempDir(), "meta.json")
	res := cliRun("build", "-f", spec, "--cache-dir", t.TempDir(), "--no-cache", "--retries", "0", "--progress", "quiet",
		"--metadata-file", meta, "-o", "oci:"+filepath.Join(t.TempDir(), "x"))
	if res.code != exitBuild {
		t.Fatalf("exit %d, want 1:\n%s", res.code, res.stderr)
	}
	cliCheckStderr(t, res.stderr, "127.0.0.1:1/bucket/blob")
	for what, text := range map[string]string{"stderr": res.stderr, "metadata": mustRead(t, meta)} {
		if strings.Contains(text, "SECRETSIG") || strings.Contains(text, "AKIAEXAMPLE") {
			t.Errorf("%s holds the signed URL's query:\n%s", what, text)
		}
	}
}
