package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/internal/testbase"
)

// secretCase is one way credentials reach ybuild, and a way they fail.
type secretCase struct {
	name string
	reg  registrytest.Options
	// authfile writes the credentials file (and helpers) for host.
	authfile func(t *testing.T, dir, host, secret string) string
	// inject adds faults to the registry once the base is in place.
	inject func(reg *registrytest.Registry, secret string)
	push   bool // also push to the registry
	ok     bool // the build succeeds
}

// TestSecretsNeverPrinted runs the real ybuild process for every way
// credentials reach it (config files, helpers, identity tokens, Basic and
// token flows, redirected blobs, pushes) and every way they fail
// (malformed entries, failing helpers, refused passwords and tokens, a
// registry and a token server that echo what they were sent), and checks
// that neither stdout nor stderr, in plain progress or JSON, holds the
// secret or any base64 form of it.
func TestSecretsNeverPrinted(t *testing.T) {
	users := map[string]string{"bob": "the-right-Pa55"}
	token := registrytest.Options{Auth: registrytest.Token, Users: users}
	for _, c := range []secretCase{
		{name: "auth without user", reg: registrytest.Options{Auth: registrytest.Basic, TLS: true, Users: users},
			authfile: func(t *testing.T, dir, host, secret string) string {
				return writeAuth(t, dir, fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, host, b64(secret)))
			}},
		{name: "wrong password basic", reg: registrytest.Options{Auth: registrytest.Basic, TLS: true, Users: users},
			authfile: func(t *testing.T, dir, host, secret string) string {
				return registrytest.DockerConfig(t, dir, host, "bob", secret)
			}},
		{name: "malformed config file", reg: token,
			authfile: func(t *testing.T, dir, host, secret string) string {
				return writeAuth(t, dir, fmt.Sprintf(`{"auths":{%q:{"auth":"%s`, host, secret))
			}},
		{name: "helper prints the secret and fails", reg: token,
			authfile: func(t *testing.T, dir, host, secret string) string {
				return failingHelper(t, dir, host, secret)
			}},
		{name: "helper with a refused secret", reg: token,
			authfile: func(t *testing.T, dir, host, secret string) string {
				return registrytest.CredHelper(t, dir, "ybuildtest", host, "bob", secret)
			}},
		{name: "refused identity token", reg: token,
			authfile: func(t *testing.T, dir, host, secret string) string {
				return writeAuth(t, dir, fmt.Sprintf(`{"auths":{%q:{"identitytoken":%q}}}`, host, secret))
			}},
		{name: "registry echoes the secret", reg: registrytest.Options{Auth: registrytest.Token, Users: map[string]string{"bob": "echo-Pa55-secret"}},
			authfile: func(t *testing.T, dir, host, secret string) string {
				return registrytest.DockerConfig(t, dir, host, "bob", secret)
			},
			inject: func(reg *registrytest.Registry, secret string) {
				body := fmt.Sprintf(`{"errors":[{"code":"DENIED","message":"denied for bob:%s (%s)"}]}`, secret, b64("bob:"+secret))
				reg.Inject(registrytest.Fault{Method: http.MethodGet, Path: "/manifests/", Status: http.StatusForbidden,
					Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)})
			}},
		{name: "token server echoes the secret", reg: registrytest.Options{Auth: registrytest.Token, Users: map[string]string{"bob": "echo-Pa55-token"}},
			authfile: func(t *testing.T, dir, host, secret string) string {
				return registrytest.DockerConfig(t, dir, host, "bob", secret)
			},
			inject: func(reg *registrytest.Registry, secret string) {
				reg.Inject(registrytest.Fault{Path: "/token", Status: http.StatusUnauthorized,
					Body: []byte(`{"details":"bad password ` + secret + `","errors":[{"code":"UNAUTHORIZED","message":"` + secret + `"}]}`)})
			}},
		{name: "good credentials, redirects and a push", reg: registrytest.Options{Auth: registrytest.Token, Users: map[string]string{"bob": "good-Pa55-word"}, RedirectBlobs: true},
			authfile: func(t *testing.T, dir, host, secret string) string {
				return registrytest.DockerConfig(t, dir, host, "bob", secret)
			},
			push: true, ok: true},
	} {
		t.Run(c.name, func(t *testing.T) { runSecretCase(t, c) })
	}
}

// runSecretCase runs one case and checks its outputs.
func runSecretCase(t *testing.T, c secretCase) {
	secret := "S3cret-" + strings.ReplaceAll(c.name, " ", "-")
	for _, p := range c.reg.Users {
		if strings.Contains(c.name, "echo") || c.ok {
			secret = p // the registry must accept it, then echo it
		}
	}
	reg := registrytest.New(t, c.reg)
	baseDir := filepath.Join(t.TempDir(), "base")
	testbase.Layout(t, baseDir)
	reg.PushLayout(t, baseDir, testbase.Ref, reg.Host+"/lib/busybox:1")
	if c.inject != nil {
		c.inject(reg, secret)
	}
	home := t.TempDir()
	file := c.authfile(t, t.TempDir(), reg.Host, secret)
	layout := filepath.Join(t.TempDir(), "layout")
	args := []string{"-f", e2eHelloDir(t), "--arg", "BASE=" + reg.Host + "/lib/busybox:1", "--authfile", file,
		"--progress", "plain", "--json", "--cache-dir", t.TempDir(), "-o", "oci:" + layout}
	if reg.CAFile != "" {
		args = append(args, "--ca-file", reg.CAFile)
	}
	if c.push {
		args = append(args, "-o", "docker://"+reg.Host+"/app/hello:1")
	}
	cmd := exec.Command(testExecutable(t), args...)
	cmd.Env = append(os.Environ(), "YBUILD_TEST_MAIN=1", "HOME="+home, "DOCKER_CONFIG="+home,
		"XDG_RUNTIME_DIR="+home, "XDG_CONFIG_HOME="+home, "REGISTRY_AUTH_FILE=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	t.Logf("exit %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	if (err == nil) != c.ok {
		t.Fatalf("exit error %v, want success %v", err, c.ok)
	}
	out := stdout.String() + stderr.String()
	for _, form := range []string{secret, b64(secret), b64("bob:" + secret), base64.RawURLEncoding.EncodeToString([]byte(secret))} {
		if strings.Contains(out, form) {
			t.Fatalf("the output holds the secret (as %q)", form)
		}
	}
	if !c.ok && !strings.Contains(stderr.String(), reg.Host) {
		t.Fatalf("the error does not name the registry")
	}
}

// b64 is the standard base64 of s.
func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// writeAuth writes a credentials file with content and returns its path.
func writeAuth(t *testing.T, dir, content string) string {
	t.Helper()
	p := filepath.Join(dir, "config.json")
	cliMust(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

// failingHelper installs docker-credential-leaky, which prints the secret
// on both outputs and fails, and a config naming it for host.
func failingHelper(t *testing.T, dir, host, secret string) string {
	t.Helper()
	bin := t.TempDir()
	script := fmt.Sprintf("#!/bin/sh\necho 'error: %s' >&2\necho 'token %s rejected'\nexit 1\n", secret, secret)
	cliMust(t, os.WriteFile(filepath.Join(bin, "docker-credential-leaky"), []byte(script), 0o755))
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return writeAuth(t, dir, fmt.Sprintf(`{"credHelpers":{%q:"leaky"}}`, host))
}
