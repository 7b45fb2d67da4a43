package main

import (
	"fmt"
	"os"
	"testing"
)

// TestMain points the default cache ($XDG_CACHE_HOME/ybuild: pulled blobs
// and built layers) at a temporary directory, so tests never read or fill
// the cache of the user running them.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ybuild-test-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("XDG_CACHE_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
