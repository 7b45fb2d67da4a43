package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/output"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/resolve"
	"github.com/ybuild/ybuild/spec"
)

// TestInspectHelpFlags checks that inspect offers the registry access
// flags but not the push flags, which it never uses.
func TestInspectHelpFlags(t *testing.T) {
	r := cliRun("inspect", "--help")
	if r.code != exitOK {
		t.Fatalf("inspect --help: exit %d: %s", r.code, r.stderr)
	}
	for _, flag := range []string{"--push", "--concurrency"} {
		if strings.Contains(r.stdout, flag) {
			t.Errorf("inspect --help lists %s:\n%s", flag, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, "--retries") {
		t.Errorf("inspect --help does not list --retries:\n%s", r.stdout)
	}
	r = cliRun("build", "--help")
	for _, flag := range []string{"--push", "--concurrency", "--retries"} {
		if !strings.Contains(r.stdout, flag) {
			t.Errorf("build --help does not list %s", flag)
		}
	}
}

// TestRegistryFlagsRetriesConcurrency checks that --retries and
// --concurrency reach the registry options: --retries 0 means none (a
// negative Retries), not the default.
func TestRegistryFlagsRetriesConcurrency(t *testing.T) {
	for _, tc := range []struct {
		args                 []string
		retries, concurrency int
	}{
		{nil, 4, 4},
		{[]string{"--retries", "0", "--concurrency", "1"}, -1, 1},
		{[]string{"--retries", "7", "--concurrency", "0"}, 7, 0},
	} {
		f := &registryFlags{cacheDir: "/nonexistent"}
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		addRegistryFlags(fs, f)
		addPushFlags(fs, f)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		o := f.options()
		if o.Retries != tc.retries || o.Concurrency != tc.concurrency {
			t.Errorf("%v: Retries %d, Concurrency %d; want %d, %d", tc.args, o.Retries, o.Concurrency, tc.retries, tc.concurrency)
		}
	}
	if r := cliRun("--retries", "-1"); r.code != exitUsage {
		t.Errorf("--retries -1: exit %d, want 2", r.code)
	}
}

// TestCountFlags checks that the counting flags refuse a negative or
// non-numeric value with a message that says what they take, not strconv's
// ("strconv.ParseUint: parsing \"-1\": invalid syntax"); --jobs -3 was
// accepted as the default.
func TestCountFlags(t *testing.T) {
	for _, tc := range []struct{ flag, value, want string }{
		{"--retries", "-1", `invalid argument "-1" for "--retries" flag: expected a whole number, 0 or more, got "-1"`},
		{"--concurrency", "two", `invalid argument "two" for "--concurrency" flag: expected a whole number, 0 or more, got "two"`},
		{"--jobs", "-3", `invalid argument "-3" for "--jobs" flag: expected a whole number, 0 or more, got "-3"`},
		{"--jobs", "99999999999", `invalid argument "99999999999" for "--jobs" flag: must be at most 2147483647`},
	} {
		r := cliRun("build", tc.flag, tc.value, "-f", "/nonexistent/build.yaml")
		if r.code != exitUsage {
			t.Errorf("%s %s: exit %d, want 2", tc.flag, tc.value, r.code)
		}
		cliCheckStderr(t, r.stderr, tc.want)
		if strings.Contains(r.stderr, "strconv") {
			t.Errorf("%s %s: stderr %q names strconv", tc.flag, tc.value, r.stderr)
		}
	}
}

// TestExitCodeArgs checks that argument errors exit 2 because cobra's
// checks are marked as usage errors, not because of their wording: a
// build failure that happens to read like cobra still exits 1.
func TestExitCodeArgs(t *testing.T) {
	for _, args := range [][]string{{"bogus"}, {"inspect"}, {"inspect", "a", "b"}, {"validate", "x"}, {"cache", "prune", "x"}, {"--bogus"}} {
		if r := cliRun(args...); r.code != exitUsage {
			t.Errorf("ybuild %s: exit %d, want 2 (%s)", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	for _, msg := range []string{`unknown command "x" for "ybuild"`, "accepts 1 arg(s), received 2", "unknown flag: --x"} {
		if got := exitCode(errors.New(msg)); got != exitBuild {
			t.Errorf("exitCode(%q) = %d, want 1: only marked errors are usage errors", msg, got)
		}
	}
}

// TestExitCodeSentinels checks that every user-input sentinel of the
// libraries exits 2 and the others exit 1.
func TestExitCodeSentinels(t *testing.T) {
	for _, err := range []error{
		spec.ErrInvalid, &spec.Error{Msg: "x"}, output.ErrUsage, output.ErrPlatforms,
		assemble.ErrEscape, assemble.ErrInvalidPath, assemble.ErrDuplicate, assemble.ErrNoMatch, assemble.ErrNotDir,
		assemble.ErrUnsupported, assemble.ErrBadAttr, assemble.ErrBadArchive,
		resolve.ErrInvalidBase, resolve.ErrNoMatchingPlatform, resolve.ErrAmbiguous, resolve.ErrUnsupported,
	} {
		if got := exitCode(fmt.Errorf("context: %w", err)); got != exitUsage {
			t.Errorf("exitCode(%v) = %d, want 2", err, got)
		}
	}
	for _, err := range []error{imageio.ErrDigestMismatch, assemble.ErrSourceChanged, registry.ErrNotFound, errors.New("disk full")} {
		if got := exitCode(fmt.Errorf("context: %w", err)); got != exitBuild {
			t.Errorf("exitCode(%v) = %d, want 1", err, got)
		}
	}
}

// TestAuthFileMissing checks that --authfile naming nothing is refused
// before anything is built (exit 2), as a mistyped path: it was skipped like
// an absent default file, and the push failed later as "unauthorized".
func TestAuthFileMissing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "auth.json")
	for _, args := range [][]string{
		{"build", "--authfile", missing, "-f", "/nonexistent/build.yaml"},
		{"inspect", "--authfile", missing, "oci:/nonexistent"},
	} {
		r := cliRun(args...)
		if r.code != exitUsage {
			t.Errorf("ybuild %s: exit %d, want 2", strings.Join(args, " "), r.code)
		}
		cliCheckStderr(t, r.stderr, `invalid argument "`+missing+`" for "--authfile" flag: no such file: `+missing)
	}
	f := &registryFlags{}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	addRegistryFlags(fs, f)
	if err := fs.Parse([]string{"--authfile", ""}); err != nil || f.authFile != "" {
		t.Errorf("--authfile \"\": %v, %q; want no error (no file)", err, f.authFile)
	}
}

// TestHostsDirChecked checks that --hosts-dir must name a directory: a
// mistyped one configured no mirror and no TLS, silently.
func TestHostsDirChecked(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "hosts.toml")
	cliMust(t, os.WriteFile(file, nil, 0o644))
	for path, want := range map[string]string{
		filepath.Join(dir, "nope"): "no such directory: " + filepath.Join(dir, "nope"),
		file:                       "not a directory: " + file,
	} {
		r := cliRun("inspect", "--hosts-dir", path, "oci:/nonexistent")
		if r.code != exitUsage {
			t.Errorf("--hosts-dir %s: exit %d, want 2", path, r.code)
		}
		cliCheckStderr(t, r.stderr, `for "--hosts-dir" flag: `+want)
	}
	f := &registryFlags{}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	addRegistryFlags(fs, f)
	if err := fs.Parse([]string{"--hosts-dir", dir}); err != nil || f.hostsDir != dir {
		t.Errorf("--hosts-dir %s: %v, %q", dir, err, f.hostsDir)
	}
}
