package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ybuild/ybuild/internal/treetest"
)

// corpusMin is the least number of bad inputs the corpus must hold.
const corpusMin = 120

// corpusCase is one bad input: files, setup steps, a command line and what
// the real ybuild process must answer.
type corpusCase struct {
	name  string
	args  []string // $ROOT, $SPEC and $OUT are replaced
	exit  int
	lines int      // stderr lines (default 1)
	want  []string // substrings of stderr ($ROOT replaced)
	setup [][]string
	files map[string]string
	// specDir, when set, is the spec's directory (a spec/testdata/bad case
	// used in place).
	specDir string
}

// TestBadInputCorpus runs every case of testdata/bad/*.txtar and every
// spec of ../../spec/testdata/bad through the real ybuild process (with a
// timeout: a hang fails) and checks the exit code, that stderr is the
// expected number of "ybuild: " lines holding the expected text, with no
// stack trace, and that nothing under the case's directory changed: no
// output, no work directory, no cache entry, the inputs untouched.
func TestBadInputCorpus(t *testing.T) {
	cases := append(loadTxtarCases(t), loadSpecCases(t)...)
	if len(cases) < corpusMin {
		t.Fatalf("the corpus holds %d cases, want at least %d", len(cases), corpusMin)
	}
	exe := testExecutable(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			runCorpusCase(t, exe, c)
		})
	}
}

// runCorpusCase prepares the case's directory, runs ybuild and checks the
// outcome.
func runCorpusCase(t *testing.T, exe string, c corpusCase) {
	root := t.TempDir()
	out := filepath.Join(root, "out")
	cliMust(t, os.MkdirAll(filepath.Join(out, "existing"), 0o755))
	cliMust(t, os.WriteFile(filepath.Join(out, "existing", "keep.txt"), []byte("keep\n"), 0o644))
	cliMust(t, os.MkdirAll(filepath.Join(root, "xdg", "ybuild"), 0o755))
	specPath := filepath.Join(root, "build.yaml")
	if c.specDir != "" {
		specPath = filepath.Join(c.specDir, c.name+".yaml")
	}
	repl := strings.NewReplacer("$ROOT", root, "$SPEC", specPath, "$OUT", out)
	e2eWriteFiles(t, root, c.files)
	vars := map[string]string{}
	for _, step := range c.setup {
		corpusSetup(t, root, step, vars)
	}
	before := treetest.Snapshot(t, root)
	var specBefore map[string]string
	if c.specDir != "" {
		specBefore = treetest.Snapshot(t, c.specDir)
	}
	args := make([]string, len(c.args))
	for i, a := range c.args {
		args[i] = repl.Replace(expandVars(a, vars))
	}
	code, stderr := corpusExec(t, exe, root, args)
	t.Logf("exit %d, stderr: %s", code, stderr)
	if c.specDir != "" {
		stderr = strings.ReplaceAll(stderr, c.specDir, "DIR")
	}
	if code != c.exit {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, c.exit, stderr)
	}
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if want := max(c.lines, 1); len(lines) != want {
		t.Errorf("stderr has %d lines, want %d:\n%s", len(lines), want, stderr)
	}
	cliCheckStderr(t, stderr, replaceAll(c.want, repl, vars)...)
	treetest.Same(t, "case directory", before, treetest.Snapshot(t, root))
	if specBefore != nil {
		treetest.Same(t, "spec directory", specBefore, treetest.Snapshot(t, c.specDir))
	}
}

// replaceAll expands $VARs and the path placeholders in every string.
func replaceAll(ss []string, repl *strings.Replacer, vars map[string]string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = repl.Replace(expandVars(s, vars))
	}
	return out
}

// expandVars replaces the setup variables ($AMD64_CONFIG, …) in s.
func expandVars(s string, vars map[string]string) string {
	for k, v := range vars {
		s = strings.ReplaceAll(s, "$"+k, v)
	}
	return s
}

// corpusExec runs ybuild in dir with its cache in dir/xdg/ybuild and returns
// its exit code and stderr; a run that takes over a minute fails the test.
func corpusExec(t *testing.T, exe, dir string, args []string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "YBUILD_TEST_MAIN=1", "XDG_CACHE_HOME="+filepath.Join(dir, "xdg"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("ybuild %s: still running after a minute (killed); stderr:\n%s", strings.Join(args, " "), stderr.String())
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("ybuild: %v", err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// loadTxtarCases parses testdata/bad/*.txtar. The comment section holds
// one directive per line: "args: …" (split on spaces), "exit: N",
// "lines: N", "stderr: TEXT" (repeatable) and "setup: STEP ARGS…"
// (repeatable, see corpusSetup); lines starting with # are comments.
func loadTxtarCases(t *testing.T) []corpusCase {
	files, err := filepath.Glob("testdata/bad/*.txtar")
	cliMust(t, err)
	var out []corpusCase
	for _, f := range files {
		data, err := os.ReadFile(f)
		cliMust(t, err)
		c := parseTxtarCase(t, f, string(data))
		c.name = strings.TrimSuffix(filepath.Base(f), ".txtar")
		out = append(out, c)
	}
	return out
}

// parseTxtarCase parses one case file.
func parseTxtarCase(t *testing.T, name, data string) corpusCase {
	c := corpusCase{exit: exitUsage, files: map[string]string{}}
	comment, files := splitTxtar(data)
	for k, v := range files {
		c.files[k] = v
	}
	for _, line := range strings.Split(comment, "\n") {
		key, val, _ := strings.Cut(line, ":")
		val = strings.TrimSpace(val)
		switch strings.TrimSpace(key) {
		case "", "#":
		case "args":
			c.args = strings.Fields(val)
		case "exit":
			c.exit = atoi(t, name, val)
		case "lines":
			c.lines = atoi(t, name, val)
		case "stderr":
			c.want = append(c.want, val)
		case "setup":
			c.setup = append(c.setup, strings.Fields(val))
		default:
			if !strings.HasPrefix(line, "#") {
				t.Fatalf("%s: unknown directive %q", name, line)
			}
		}
	}
	if len(c.args) == 0 {
		t.Fatalf("%s: no args", name)
	}
	return c
}

// atoi parses a directive's number.
func atoi(t *testing.T, file, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return n
}

// splitTxtar splits a txtar archive into its comment and files
// ("-- name --" lines start a file).
func splitTxtar(data string) (string, map[string]string) {
	files := map[string]string{}
	var comment strings.Builder
	name := ""
	for _, line := range strings.SplitAfter(data, "\n") {
		trimmed := strings.TrimRight(line, "\n")
		if strings.HasPrefix(trimmed, "-- ") && strings.HasSuffix(trimmed, " --") && len(trimmed) > 6 {
			name = strings.TrimSpace(trimmed[3 : len(trimmed)-3])
			files[name] = ""
			continue
		}
		if name == "" {
			comment.WriteString(line)
		} else {
			files[name] += line
		}
	}
	return comment.String(), files
}

// loadSpecCases turns every spec/testdata/bad case into a CLI case: ybuild
// must exit 2 with the case's .err lines, one "ybuild: " line each.
func loadSpecCases(t *testing.T) []corpusCase {
	dir, err := filepath.Abs("../../spec/testdata/bad")
	cliMust(t, err)
	specs, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	cliMust(t, err)
	var out []corpusCase
	for _, s := range specs {
		name := strings.TrimSuffix(filepath.Base(s), ".yaml")
		errText, err := os.ReadFile(filepath.Join(dir, name+".err"))
		cliMust(t, err)
		data, err := os.ReadFile(s)
		cliMust(t, err)
		c := corpusCase{name: name, specDir: dir, exit: exitUsage,
			args: []string{"-f", "$SPEC", "-o", "oci:$OUT/image"}}
		first, _, _ := strings.Cut(string(data), "\n")
		if p, ok := strings.CutPrefix(first, "# platform: "); ok {
			c.args = append(c.args, "--platform", p)
		}
		for _, l := range strings.Split(strings.TrimRight(string(errText), "\n"), "\n") {
			// A ForPlatform error starts with the platform, after "ybuild: ".
			// The spec's directory reads as DIR in stderr, as in the .err files.
			c.want = append(c.want, strings.ReplaceAll(l, "testdata/bad/", "DIR/")+"\n")
		}
		c.lines = len(c.want)
		out = append(out, c)
	}
	return out
}
