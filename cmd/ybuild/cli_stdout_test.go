package main

import (
	"encoding/json"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// cliLine is one stdout line of a build: "DEST sha256:HEX".
var cliLine = regexp.MustCompile(`^(\S+) (sha256:[0-9a-f]{64})$`)

// cliDests returns an oci:, an oci-archive: with a ref and a docker-archive:
// destination in a new directory, and the layout ref, archive ref and
// archive name each writes for cliSpec (tag example.com/spec/cli:dev).
func cliDests(t *testing.T) (dests, refs []string) {
	out := t.TempDir()
	return []string{
			"oci:" + filepath.Join(out, "layout"),
			"oci-archive:" + filepath.Join(out, "oci.tar") + ":v2",
			"docker-archive:" + filepath.Join(out, "docker.tar"),
		}, []string{
			"dev", "v2", "example.com/spec/cli:dev",
		}
}

// cliBuildArgs is -f spec followed by -o for each destination.
func cliBuildArgs(spec string, dests []string) []string {
	args := []string{"-f", spec}
	for _, d := range dests {
		args = append(args, "-o", d)
	}
	return args
}

// TestCLIStdoutLines checks that stdout holds exactly one "DEST DIGEST"
// line per output, in order, all with the same manifest digest.
func TestCLIStdoutLines(t *testing.T) {
	t.Parallel()
	spec := cliSpecDir(t, map[string]string{"build.yaml": cliSpec})
	dests, _ := cliDests(t)
	stdout := cliBuild(t, cliBuildArgs(spec, dests)...)
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != len(dests) || !strings.HasSuffix(stdout, "\n") {
		t.Fatalf("stdout:\n%s\nwant %d newline-terminated lines", stdout, len(dests))
	}
	var first string
	for i, line := range lines {
		m := cliLine.FindStringSubmatch(line)
		if m == nil || m[1] != dests[i] {
			t.Fatalf("stdout line %d %q, want \"%s sha256:…\"", i, line, dests[i])
		}
		if first == "" {
			first = m[2]
		}
		if m[2] != first {
			t.Errorf("stdout line %q: digest differs from the oci: one %s (a single manifest everywhere)", line, first)
		}
	}
	// The digest is the one the layout's index.json points to.
	if idx := cliLayoutIndex(t, strings.TrimPrefix(dests[0], "oci:")); len(idx.Manifests) != 1 || idx.Manifests[0].Digest.String() != first {
		t.Errorf("index.json %+v, want one entry %s", idx.Manifests, first)
	}
}

// TestCLIStdoutJSON checks --json: one object {"outputs": [{dest, ref,
// digest}]} as docs/cli.md shows, with the digests of the line output.
func TestCLIStdoutJSON(t *testing.T) {
	t.Parallel()
	spec := cliSpecDir(t, map[string]string{"build.yaml": cliSpec})
	first, _ := cliDests(t)
	lineDigests := e2eResults(t, cliBuild(t, cliBuildArgs(spec, first)...))
	want := lineDigests[first[0]]
	if want == "" || len(lineDigests) != len(first) {
		t.Fatalf("line output %v, want %d results", lineDigests, len(first))
	}

	dests, refs := cliDests(t) // a fresh set: the same image, other paths
	stdout := cliBuild(t, append(cliBuildArgs(spec, dests), "--json")...)
	outs := cliDecodeJSONResult(t, stdout)
	if len(outs) != len(dests) {
		t.Fatalf("--json: %d outputs, want %d:\n%s", len(outs), len(dests), stdout)
	}
	for i, o := range outs {
		keys := make([]string, 0, len(o))
		for k := range o {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, []string{"dest", "digest", "ref"}) {
			t.Errorf("--json outputs[%d] has keys %v, want dest, digest, ref", i, keys)
		}
		if o["dest"] != dests[i] || o["ref"] != refs[i] || o["digest"] != want.String() {
			t.Errorf("--json outputs[%d] = %v, want dest %s, ref %s, digest %s", i, o, dests[i], refs[i], want)
		}
	}
}

// cliDecodeJSONResult decodes stdout as exactly one JSON object whose only
// key is "outputs", a list of objects.
func cliDecodeJSONResult(t *testing.T, stdout string) []map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	var top map[string]any
	if err := dec.Decode(&top); err != nil {
		t.Fatalf("--json stdout is not a JSON object: %v\n%s", err, stdout)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("--json stdout holds more than one JSON value:\n%s", stdout)
	}
	list, ok := top["outputs"].([]any)
	if !ok || len(top) != 1 {
		t.Fatalf("--json stdout %s: want one key \"outputs\" holding a list", stdout)
	}
	var out []map[string]any
	for i, v := range list {
		o, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("--json outputs[%d] is %T, want an object", i, v)
		}
		out = append(out, o)
	}
	return out
}
