package main

import (
	"github.com/ybuild/ybuild/internal/treetest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// cliArchSpec takes a per-platform source; cliValidate writes only amd64's.
var cliArchSpec = strings.Replace(cliMultiSpec, "      - {content: \"arch=${TARGETARCH}\\n\", dst: /etc/arch}\n",
	"      - {src: \"arch/${TARGETARCH}.txt\", dst: /etc/arch}\n", 1)

// TestCLIValidate checks `ybuild validate`: "FILE: ok" on a good spec,
// exit 2 with every problem (and no build) otherwise.
func TestCLIValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, spec string
		code       int
		want       []string
	}{
		{"ok", cliSpec, exitOK, nil},
		{"ok multi", cliMultiSpec, exitOK, nil},
		{"bad spec", cliBadSpec, exitUsage, []string{`build.yaml:8:39: layers[0].files[0]: unknown field "bogus"`,
			`build.yaml:9:31: layers[0].files[1].dst: must be an absolute path, got "etc/y"`}},
		{"source missing for arm64", cliArchSpec, exitUsage, []string{"layers[0].files[1].src: no such file", "arch/arm64.txt"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spec := cliSpecDir(t, map[string]string{"build.yaml": tc.spec, "arch/amd64.txt": "amd64\n"})
			before := treetest.Snapshot(t, filepath.Dir(spec))
			r := cliRun("validate", "-f", spec)
			if r.code != tc.code {
				t.Fatalf("validate: exit %d, want %d\nstderr:\n%s", r.code, tc.code, r.stderr)
			}
			if tc.code == exitOK {
				if r.stdout != spec+": ok\n" || r.stderr != "" {
					t.Errorf("validate: stdout %q stderr %q, want %q and nothing", r.stdout, r.stderr, spec+": ok\n")
				}
			} else {
				cliCheckStderr(t, r.stderr, tc.want...)
			}
			treetest.Same(t, "validate", before, treetest.Snapshot(t, filepath.Dir(spec)))
		})
	}
}

// TestCLIValidateSeveral checks `ybuild validate` with several specs, as
// arguments (like build) or repeated -f: one "FILE: ok" line per good spec,
// every problem of the others, exit 2 when any is bad. It took one -f only,
// and refused arguments ("unknown command").
func TestCLIValidateSeveral(t *testing.T) {
	t.Parallel()
	good := cliSpecDir(t, map[string]string{"build.yaml": cliSpec})
	bad := cliSpecDir(t, map[string]string{"build.yaml": cliBadSpec})
	missing := filepath.Join(t.TempDir(), "build.yaml")
	r := cliRun("validate", good, bad, missing)
	if r.code != exitUsage || r.stdout != good+": ok\n" {
		t.Errorf("validate GOOD BAD MISSING: exit %d, stdout %q; want 2 and %q", r.code, r.stdout, good+": ok\n")
	}
	cliCheckStderr(t, r.stderr, bad+`:8:39: layers[0].files[0]: unknown field "bogus"`, bad+":9:31: layers[0].files[1].dst", missing+": cannot read spec")
	r = cliRun("validate", "-f", good, "-f", good)
	if r.code != exitOK || r.stdout != good+": ok\n"+good+": ok\n" || r.stderr != "" {
		t.Errorf("validate -f GOOD -f GOOD: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestCLISchema checks that `ybuild schema` prints a JSON Schema whose
// properties include apiVersion (const ybuild/v1) and that requires
// apiVersion and base.
func TestCLISchema(t *testing.T) {
	t.Parallel()
	r := cliRun("schema")
	if r.code != exitOK || r.stderr != "" {
		t.Fatalf("schema: exit %d, stderr %q", r.code, r.stderr)
	}
	var s struct {
		Schema     string `json:"$schema"`
		Properties map[string]struct {
			Const string `json:"const"`
		} `json:"properties"`
		Required []string `json:"required"`
	}
	e2eJSON(t, "ybuild schema", []byte(r.stdout), &s)
	if !strings.Contains(s.Schema, "json-schema.org") {
		t.Errorf("schema: $schema = %q, want a json-schema.org URI", s.Schema)
	}
	if p, ok := s.Properties["apiVersion"]; !ok || p.Const != "ybuild/v1" {
		t.Errorf("schema: properties.apiVersion = %+v (present %v), want const ybuild/v1", p, ok)
	}
	if strings.Join(s.Required, ",") != "apiVersion,base" {
		t.Errorf("schema: required %v, want [apiVersion base]", s.Required)
	}
}

// TestCLIVersion checks `ybuild version`: "ybuild VERSION (GOVERSION OS/ARCH)".
func TestCLIVersion(t *testing.T) {
	t.Parallel()
	r := cliRun("version")
	re := regexp.MustCompile(`^ybuild \S+ \(go\S+ [a-z0-9]+/[a-z0-9]+\)\n$`)
	if r.code != exitOK || !re.MatchString(r.stdout) {
		t.Errorf("version: exit %d, stdout %q, want ybuild VERSION (GOVERSION OS/ARCH)", r.code, r.stdout)
	}
	if r := cliRun("version", "extra"); r.code != exitUsage {
		t.Errorf("version extra: exit %d, want %d", r.code, exitUsage)
	}
}

// TestCLIBuildIsDefault checks that `ybuild` and `ybuild build` are the
// same command: the same digest, and the registry flags work in both.
func TestCLIBuildIsDefault(t *testing.T) {
	t.Parallel()
	spec := cliSpecDir(t, map[string]string{"build.yaml": cliSpec})
	out := t.TempDir()
	var digests []string
	for _, form := range [][]string{nil, {"build"}} {
		dest := "oci:" + filepath.Join(out, "layout"+strings.Join(form, ""))
		r := cliRun(append(form, "-f", spec, "--progress", "quiet", "--no-cache", "-o", dest)...)
		if r.code != exitOK {
			t.Fatalf("ybuild %v: exit %d\n%s", form, r.code, r.stderr)
		}
		digests = append(digests, cliOneResult(t, r.stdout, dest).String())

		// Without tags, --push must be refused, whichever form carries it.
		noTags := cliSpecDir(t, map[string]string{"build.yaml": cliNoTagsSpec})
		r = cliRun(append(form, "-f", noTags, "--progress", "quiet", "--no-cache", "--push", "-o", dest+"-push")...)
		if r.code != exitUsage {
			t.Errorf("ybuild %v --push without tags: exit %d, want %d (is --push ignored?)\nstdout %q", form, r.code, exitUsage, r.stdout)
			continue
		}
		cliCheckStderr(t, r.stderr, "--push needs tags")
	}
	if digests[0] != digests[1] {
		t.Errorf("ybuild gives %s, ybuild build gives %s", digests[0], digests[1])
	}
}
