package main

import (
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/ybuild/ybuild/internal/testbase"
)

// hungRegistry accepts connections on 127.0.0.1 but never answers
// (neither TLS nor HTTP); it counts the connections.
func hungRegistry(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			go func() {
				defer c.Close()
				<-done
			}()
		}
	}()
	return ln.Addr().String(), &n
}

// TestCacheRepoHung: a cache repository that accepts connections and never
// answers is given up after the first request's own resends (no retries
// on top, as the build's registries get): one warning, the cold digests.
func TestCacheRepoHung(t *testing.T) {
	testbase.Busybox(t)
	spec := cacheRepoCheckout(t)
	plain := filepath.Join(t.TempDir(), "plain")
	res, _ := buildStderr(t, "-f", spec, "--cache-dir", t.TempDir(), "-o", "oci:"+plain)
	want := res["oci:"+plain]

	host, conns := hungRegistry(t)
	out := filepath.Join(t.TempDir(), "out")
	res, stderr := buildStderr(t, "-f", spec, "--cache-dir", t.TempDir(), "--cache-repo", host+"/ci/cache",
		"--insecure-registry", host, "--registry-idle-timeout", "200ms", "-o", "oci:"+out)
	checkWithoutCacheRepo(t, res["oci:"+out], want, stderr)
	if n := conns.Load(); n > 12 {
		t.Errorf("%d connections to the hung cache repository, want at most 12 (TLS then plain HTTP, for containerd's resends of one request)", n)
	}
}
