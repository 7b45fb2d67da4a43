package main

import (
	"github.com/ybuild/ybuild/internal/treetest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// cliSpec is a small scratch spec with an arg, a per-platform file, an env
// variable and a tag; its created time is fixed.
const cliSpec = `apiVersion: ybuild/v1
name: cli
base: scratch
created: 2024-01-01T00:00:00Z
args: {VERSION: dev}
tags: ["example.com/spec/cli:${VERSION}"]
layers:
  - name: app
    files:
      - {content: "version=${VERSION}\n", dst: /etc/version}
      - {content: "arch=${TARGETARCH}\n", dst: /etc/arch}
config:
  env: {APP_VERSION: "${VERSION}"}
`

// cliMultiSpec is cliSpec for linux/amd64 and linux/arm64: an index.
var cliMultiSpec = strings.Replace(cliSpec, "base: scratch\n", "base: scratch\nplatforms: [linux/amd64, linux/arm64]\n", 1)

// cliNoTagsSpec is cliSpec without tags.
var cliNoTagsSpec = strings.Replace(cliSpec, "tags:", "#tags:", 1)

// cliBadSpec has an unknown field (line 8) and a relative dst (line 9).
const cliBadSpec = `apiVersion: ybuild/v1
name: cli
base: scratch
created: 2024-01-01T00:00:00Z
layers:
  - name: app
    files:
      - {content: "x\n", dst: /etc/x, bogus: true}
      - {content: "y\n", dst: etc/y}
`

// cliExitCase is one command line and what it must do.
type cliExitCase struct {
	name string
	spec string                          // the spec written to ROOT/spec/build.yaml
	args func(spec, out string) []string // out is ROOT/out, absent unless setup makes it
	code int
	want []string // substrings of stderr; SPEC stands for the spec's path
	// setup prepares ROOT/out before the run (for the exit 1 case).
	setup func(t *testing.T, out string)
}

var cliExitCases = []cliExitCase{
	{name: "ok", spec: cliSpec, code: exitOK,
		args: func(s, o string) []string { return []string{"-f", s, "-o", "oci:" + o + "/layout"} }},
	{name: "bad spec", spec: cliBadSpec, code: exitUsage,
		args: func(s, o string) []string { return []string{"-f", s, "-o", "oci:" + o + "/layout"} },
		want: []string{"ybuild: SPEC:8:39: layers[0].files[0]: unknown field \"bogus\"\n",
			"ybuild: SPEC:9:31: layers[0].files[1].dst: must be an absolute path, got \"etc/y\"\n"}},
	{name: "unknown flag", spec: cliSpec, code: exitUsage,
		args: func(s, o string) []string { return []string{"-f", s, "--nope"} },
		want: []string{"unknown flag: --nope"}},
	{name: "extra arg", spec: cliSpec, code: exitUsage,
		args: func(s, o string) []string { return []string{"-f", s, "extra"} },
		want: []string{`unknown command "extra"`}},
	// build takes specs as arguments: one that cannot be read stops every
	// spec before anything is built.
	{name: "build missing spec arg", spec: cliSpec, code: exitUsage,
		args: func(s, o string) []string { return []string{"build", "-f", s, "extra"} },
		want: []string{"extra: cannot read spec", "1 of 2 specs failed: extra"}},
	{name: "bad progress", spec: cliSpec, code: exitUsage,
		args: func(s, o string) []string { return []string{"-f", s, "-o", "oci:" + o + "/l", "--progress", "loud"} },
		want: []string{`--progress "loud": expected auto, plain or quiet`}},
	{name: "inspect without DEST", spec: cliSpec, code: exitUsage,
		args: func(s, o string) []string { return []string{"inspect"} },
		want: []string{"accepts 1 arg(s), received 0 (usage: ybuild inspect DEST [flags])"}},
	{name: "bad arg", spec: cliSpec, code: exitUsage,
		args: func(s, o string) []string { return []string{"-f", s, "--arg", "VERSION", "-o", "oci:" + o + "/l"} },
		want: []string{`--arg "VERSION": expected NAME=VALUE`}},
	{name: "bad platform", spec: cliSpec, code: exitUsage,
		args: func(s, o string) []string {
			return []string{"-f", s, "--platform", "linux/amd64/v1/x", "-o", "oci:" + o + "/l"}
		},
		want: []string{`--platform: must be os/arch[/variant] (such as linux/arm64), got "linux/amd64/v1/x"`}},
	// containerd would complete a bare OS or architecture with the host's:
	// refused, as in the spec's platforms, so the host never picks the image.
	{name: "platform without arch", spec: cliSpec, code: exitUsage,
		args: func(s, o string) []string { return []string{"-f", s, "--platform", "linux", "-o", "oci:" + o + "/l"} },
		want: []string{`--platform: must be os/arch[/variant] (such as linux/arm64), got "linux"`}},
	{name: "platform without os", spec: cliSpec, code: exitUsage,
		args: func(s, o string) []string { return []string{"-f", s, "--platform", "arm64", "-o", "oci:" + o + "/l"} },
		want: []string{`--platform: must be os/arch[/variant] (such as linux/arm64), got "arm64"`}},
	{name: "platform unknown arch", spec: cliSpec, code: exitUsage,
		args: func(s, o string) []string {
			return []string{"-f", s, "--platform", "linux/amd46", "-o", "oci:" + o + "/l"}
		},
		want: []string{`--platform: unknown architecture "amd46" in "linux/amd46"`}},
	{name: "bad output", spec: cliSpec, code: exitUsage,
		args: func(s, o string) []string { return []string{"-f", s, "-o", "bogus:" + o + "/x"} },
		want: []string{`"bogus:`, "invalid output"}},
	{name: "docker archive two platforms", spec: cliMultiSpec, code: exitUsage,
		args: func(s, o string) []string {
			return []string{"-f", s, "-o", "oci:" + o + "/layout", "-o", "docker-archive:" + o + "/x.tar"}
		},
		want: []string{"docker-archive:", "a docker archive holds one platform, the build has 2 (linux/amd64, linux/arm64)"}},
	// Only OCI layouts share a path (each ref lands): an archive written
	// twice, or over a layout, kept only the last one, yet both were
	// reported written.
	{name: "two outputs one file", spec: cliSpec, code: exitUsage,
		args: func(s, o string) []string {
			return []string{"-f", s, "-o", "oci-archive:" + o + "/x.tar", "-o", "docker-archive:" + o + "/./x.tar"}
		},
		want: []string{"docker-archive:OUT/./x.tar: invalid output: oci-archive:OUT/x.tar also writes OUT/x.tar; give each output its own path"}},
	{name: "archive over a layout", spec: cliSpec, code: exitUsage,
		args: func(s, o string) []string {
			return []string{"-f", s, "-o", "oci:" + o + "/l:v1", "-o", "oci:" + o + "/l:v2", "-o", "oci-archive:" + o + "/l"}
		},
		want: []string{"oci-archive:OUT/l: invalid output: oci:OUT/l:v1 also writes OUT/l"}},
	{name: "output parent is a file", spec: cliSpec, code: exitBuild,
		args:  func(s, o string) []string { return []string{"-f", s, "-o", "oci-archive:" + o + "/x.tar"} },
		want:  []string{"write oci-archive:", "not a directory"},
		setup: func(t *testing.T, o string) { e2eWriteFiles(t, filepath.Dir(o), map[string]string{"out": "a file\n"}) }},
}

// TestCLIExitCodes runs each command line through run() and checks the exit
// code, the error lines and, on failure, that nothing was written.
func TestCLIExitCodes(t *testing.T) {
	t.Parallel()
	for _, tc := range cliExitCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			e2eWriteFiles(t, root, map[string]string{"spec/build.yaml": tc.spec})
			out := filepath.Join(root, "out")
			if tc.setup != nil {
				tc.setup(t, out)
			}
			before := treetest.Snapshot(t, root)
			spec := filepath.Join(root, "spec", "build.yaml")
			args := tc.args(spec, out)
			if args[0] != "inspect" && !slices.Contains(args, "--progress") {
				args = append(args, "--progress=quiet", "--no-cache")
			}
			r := cliRun(args...)
			if r.code != tc.code {
				t.Fatalf("ybuild %s: exit %d, want %d\nstderr:\n%s", strings.Join(args, " "), r.code, tc.code, r.stderr)
			}
			if tc.code == exitOK {
				cliOneResult(t, r.stdout, "oci:"+out+"/layout")
				return
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing on failure", r.stdout)
			}
			var want []string
			for _, w := range tc.want {
				want = append(want, strings.ReplaceAll(strings.ReplaceAll(w, "SPEC", spec), "OUT", out))
			}
			cliCheckStderr(t, r.stderr, want...)
			treetest.Same(t, "after a failed build", before, treetest.Snapshot(t, root))
		})
	}
}
