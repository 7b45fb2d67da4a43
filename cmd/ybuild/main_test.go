package main

import (
	"fmt"
	"os"
	"testing"
)

// TestMain points the default cache ($XDG_CACHE_HOME/ybuild: pulled blobs
// and built layers) at a temporary directory, so tests never read or fill
// the cache of the user running them.
//
// With YBUILD_TEST_MAIN=1 the test binary is ybuild itself (main), so
// tests can run the real process, signals included.
func TestMain(m *testing.M) {
	if os.Getenv("YBUILD_TEST_MAIN") == "1" {
		main()
		return
	}
	if spec := os.Getenv(holdEnv); spec != "" {
		runHolder(spec)
		return
	}
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

// testExecutable is this test binary, which runs ybuild's main with
// YBUILD_TEST_MAIN=1.
func testExecutable(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	cliMust(t, err)
	return exe
}
