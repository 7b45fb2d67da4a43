package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestCacheRepoNotARepository: a --cache-repo or YBUILD_CACHE_REPO with a
// tag (":latest" too) or a digest is bad input, exit 2 before anything is
// built, and the one line names where the value came from (it used to say
// --cache-repo for the variable, and to accept ":latest").
func TestCacheRepoNotARepository(t *testing.T) {
	spec := cacheRepoCheckout(t)
	cases := []struct {
		flag, env, want string
		noCache         bool // the value is unused, but still checked
	}{
		{flag: "127.0.0.1:1/ci/cache:latest", want: `ybuild: --cache-repo: "127.0.0.1:1/ci/cache:latest": name a repository, without tag or digest`},
		{flag: "127.0.0.1:1/ci/cache:v1", env: "127.0.0.1:1/ci/ok", want: `ybuild: --cache-repo: "127.0.0.1:1/ci/cache:v1": name a repository`},
		{env: "127.0.0.1:1/ci/cache:latest", want: `ybuild: YBUILD_CACHE_REPO: "127.0.0.1:1/ci/cache:latest": name a repository`},
		{flag: "127.0.0.1:1/ci/cache@sha256:" + strings.Repeat("a", 64), noCache: true, want: `ybuild: --cache-repo: "127.0.0.1:1/ci/cache@sha256:`},
	}
	for _, c := range cases {
		t.Setenv("YBUILD_CACHE_REPO", c.env)
		out := filepath.Join(t.TempDir(), "out")
		args := []string{"build", "--progress", "quiet", "-f", spec, "--cache-dir", t.TempDir(), "-o", "oci:" + out}
		if c.flag != "" {
			args = append(args, "--cache-repo", c.flag)
		}
		if c.noCache {
			args = append(args, "--no-cache")
		}
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, &stdout, &stderr)
		if code != exitUsage || !strings.HasPrefix(stderr.String(), c.want) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("flag %q env %q: exit %d, stderr %q; want exit %d and one line starting %q", c.flag, c.env, code, stderr.String(), exitUsage, c.want)
		}
		if stdout.Len() != 0 {
			t.Errorf("flag %q env %q: stdout %q, want nothing built", c.flag, c.env, stdout.String())
		}
	}
}
