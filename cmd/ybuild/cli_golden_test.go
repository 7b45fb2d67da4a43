package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cliUpdate rewrites testdata/golden-digests.json from the current build.
var cliUpdate = flag.Bool("update", false, "rewrite testdata/golden-digests.json")

// cliGoldenFile holds the expected digests: case name → digest.
const cliGoldenFile = "testdata/golden-digests.json"

// cliGoldenCase is one golden build: the spec, extra flags, and the
// archive kinds whose file bytes are checked too (single manifest only for
// docker-archive).
type cliGoldenCase struct {
	name, spec string
	args       []string
	archives   []string
}

var cliGoldenCases = []cliGoldenCase{
	{"examples/multi-platform", "../../examples/multi-platform/build.yaml", nil, []string{"oci-archive"}},
	{"golden/oci-gzip", "testdata/golden/build.yaml", nil, []string{"oci-archive", "docker-archive"}},
	{"golden/oci-zstd", "testdata/golden/build.yaml", []string{"--arg", "COMPRESSION=zstd"}, nil},
	{"golden/oci-none", "testdata/golden/build.yaml", []string{"--arg", "COMPRESSION=none"}, nil},
	{"golden/docker-gzip", "testdata/golden/build.yaml", []string{"--arg", "FORMAT=docker"}, []string{"docker-archive"}},
	{"golden/arm64", "testdata/golden/build.yaml", []string{"--platform", "linux/arm64"}, nil},
}

// TestCLIGolden builds checked-in specs and compares the digests of the
// images, and the sha256 of archive files, with testdata/golden-digests.json.
// Run with -update after an intended change of the output.
func TestCLIGolden(t *testing.T) {
	want := map[string]string{}
	if !*cliUpdate {
		data, err := os.ReadFile(cliGoldenFile)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		e2eJSON(t, cliGoldenFile, data, &want)
	}
	got := map[string]string{}
	for _, tc := range cliGoldenCases {
		t.Run(tc.name, func(t *testing.T) {
			// Without the layer cache, filling it, then from it: the same bytes.
			cache := t.TempDir()
			for _, flags := range [][]string{{"--no-cache"}, {"--cache-dir", cache}, {"--cache-dir", cache}} {
				for k, v := range cliGoldenBuild(t, tc, flags...) {
					if old, ok := got[k]; ok && old != v {
						t.Errorf("%s %v: %s, but %s before", k, flags, v, old)
					}
					got[k] = v
					if !*cliUpdate && want[k] != v {
						t.Errorf("%s %v: %s, want %q (from %s; run with -update if the change is intended)", k, flags, v, want[k], cliGoldenFile)
					}
				}
			}
			if _, err := os.Stat(filepath.Join(cache, "layers")); err != nil {
				t.Errorf("the layer cache was not filled: %v", err)
			}
		})
	}
	if *cliUpdate {
		data, err := json.MarshalIndent(got, "", "  ")
		cliMust(t, err)
		cliMust(t, os.WriteFile(cliGoldenFile, append(data, '\n'), 0o644))
		t.Logf("wrote %s", cliGoldenFile)
		return
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("%s: %s is not built any more; run with -update", cliGoldenFile, k)
		}
	}
}

// cliGoldenBuild builds one case, with extra flags, into a layout and its
// archives; it returns "NAME" → image digest and "NAME KIND" → sha256 of
// each archive file.
func cliGoldenBuild(t *testing.T, tc cliGoldenCase, extra ...string) map[string]string {
	t.Helper()
	out := t.TempDir()
	layout := "oci:" + filepath.Join(out, "layout")
	args := append(append([]string{"-f", tc.spec, "-o", layout}, tc.args...), extra...)
	for _, kind := range tc.archives {
		args = append(args, "-o", kind+":"+filepath.Join(out, kind+".tar"))
	}
	res := e2eResults(t, e2eBuild(t, args...))
	image := res[layout]
	if image == "" || len(res) != 1+len(tc.archives) {
		t.Fatalf("stdout results %v, want %d", res, 1+len(tc.archives))
	}
	got := map[string]string{tc.name: image.String()}
	for _, kind := range tc.archives {
		if d := res[kind+":"+filepath.Join(out, kind+".tar")]; d != image {
			t.Errorf("%s: digest %s, want the layout's %s", kind, d, image)
		}
		data, err := os.ReadFile(filepath.Join(out, kind+".tar"))
		cliMust(t, err)
		sum := sha256.Sum256(data)
		got[tc.name+" "+kind] = "sha256:" + hex.EncodeToString(sum[:])
	}
	return got
}

// cliGoldenLayers lists the layers of testdata/golden/build.yaml as
// "TYPE MODE UID:GID MTIME NAME [-> LINK]": ancestors emitted on scratch,
// owner and mode cascades, the exclude, the mtime override, the symlink.
var cliGoldenLayers = []string{`5 1777 0:0 2024-02-03T04:05:06Z data/
5 0755 0:0 2024-02-03T04:05:06Z etc/
0 0644 0:0 2000-01-01T00:00:00Z etc/fixed-time.txt
0 0644 1000:1000 2024-02-03T04:05:06Z etc/hello.txt
5 0755 0:0 2024-02-03T04:05:06Z srv/
5 0750 1000:1000 2024-02-03T04:05:06Z srv/tree/
0 0640 1000:1000 2024-02-03T04:05:06Z srv/tree/a.txt
5 0750 1000:1000 2024-02-03T04:05:06Z srv/tree/sub/
0 0640 1000:1000 2024-02-03T04:05:06Z srv/tree/sub/b.txt
`, `5 0755 0:0 2024-02-03T04:05:06Z etc/
0 0600 2000:2000 2024-02-03T04:05:06Z etc/app.conf
5 0755 0:0 2024-02-03T04:05:06Z usr/
5 0755 0:0 2024-02-03T04:05:06Z usr/bin/
2 0777 0:0 2024-02-03T04:05:06Z usr/bin/golden -> /usr/local/bin/golden
5 0755 0:0 2024-02-03T04:05:06Z usr/local/
5 0755 0:0 2024-02-03T04:05:06Z usr/local/bin/
0 0755 0:0 2024-02-03T04:05:06Z usr/local/bin/golden
`}

// TestCLIGoldenContent checks what the golden image holds, so that
// -update cannot bless a wrong image.
func TestCLIGoldenContent(t *testing.T) {
	t.Parallel()
	layout := filepath.Join(t.TempDir(), "layout")
	dest := "oci:" + layout
	m := e2eManifest(t, layout, cliOneResult(t, cliBuild(t, "-f", "testdata/golden/build.yaml", "-o", dest), dest))
	if len(m.Layers) != len(cliGoldenLayers) {
		t.Fatalf("%d layers, want %d", len(m.Layers), len(cliGoldenLayers))
	}
	for i, l := range m.Layers {
		var b strings.Builder
		for _, h := range cliLayerHeaders(t, layout, l.Digest) {
			fmt.Fprintf(&b, "%c %04o %d:%d %s %s", h.Typeflag, h.Mode&0o7777, h.Uid, h.Gid, h.ModTime.UTC().Format(time.RFC3339), h.Name)
			if h.Linkname != "" {
				b.WriteString(" -> " + h.Linkname)
			}
			b.WriteString("\n")
		}
		if b.String() != cliGoldenLayers[i] {
			t.Errorf("layer %d:\n%s\nwant:\n%s", i, b.String(), cliGoldenLayers[i])
		}
	}
	if files := e2eLayerFiles(t, layout, m.Layers[1].Digest); files["usr/local/bin/golden"] != "#!/bin/sh\necho golden 1.0\n" {
		t.Errorf("usr/local/bin/golden = %q", files["usr/local/bin/golden"])
	}
}
