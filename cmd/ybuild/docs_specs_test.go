package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/containerd/platforms"
	"go.yaml.in/yaml/v3"

	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/internal/testbase"
	"github.com/ybuild/ybuild/location"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/spec"
)

// docSpec is a YAML block of the documentation that is a spec or a piece
// of one.
type docSpec struct {
	where string // docs/format.md:24
	yaml  string
}

// isSpec reports whether a YAML block's top-level keys make it a spec or a
// piece of one: only fields of spec.Build (by their yaml names), at least
// one of them. Other YAML the docs show (a lock file) has other keys.
func isSpec(top map[string]any) bool {
	fields := map[string]bool{}
	bt := reflect.TypeFor[spec.Build]()
	for i := range bt.NumField() {
		if name, _, _ := strings.Cut(bt.Field(i).Tag.Get("yaml"), ","); name != "" && name != "-" {
			fields[name] = true
		}
	}
	for k := range top {
		if !fields[k] {
			return false
		}
	}
	return len(top) > 0
}

var yamlBlock = regexp.MustCompile("(?s)```ya?ml\n(.*?)```")

// docSpecs returns every spec, whole or piece, shown in README.md,
// docs/*.md and examples/*/README.md.
func docSpecs(t *testing.T) []docSpec {
	t.Helper()
	root := filepath.Join("..", "..")
	files, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	readmes, _ := filepath.Glob(filepath.Join(root, "examples", "*", "README.md"))
	files = append(append(files, filepath.Join(root, "README.md")), readmes...)
	var out []docSpec
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range yamlBlock.FindAllSubmatchIndex(data, -1) {
			block := string(data[m[2]:m[3]])
			var top map[string]any
			if yaml.Unmarshal([]byte(block), &top) != nil || !isSpec(top) {
				continue
			}
			rel, _ := filepath.Rel(root, f)
			out = append(out, docSpec{where: rel + ":" + itoa(bytes.Count(data[:m[0]], []byte("\n"))+1), yaml: block})
		}
	}
	return out
}

// itoa formats a line number.
func itoa(n int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(n)) }

// fmtInt is strconv.Itoa without the import churn.
func fmtInt(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// docBase is the base a piece of a spec without one builds on.
const docBase = "docker.io/library/alpine:3.20"

// complete makes a piece of a spec whole: apiVersion and a base.
func complete(y string) string {
	if !regexp.MustCompile(`(?m)^apiVersion:`).MatchString(y) {
		y = "apiVersion: ybuild/v1\n" + y
	}
	if !regexp.MustCompile(`(?m)^base:`).MatchString(y) {
		y += "\nbase: " + docBase + "\n"
	}
	return y
}

// docRegistry serves the busybox test base under every registry name the
// specs use as a base, through a hosts.toml mirror of each domain, and
// returns the hosts directory.
func docRegistry(t *testing.T, specs []docSpec) string {
	t.Helper()
	reg := registrytest.New(t, registrytest.Options{})
	layout := filepath.Join(t.TempDir(), "base")
	testbase.Layout(t, layout)
	hosts := t.TempDir()
	refs := map[string]bool{docBase: true}
	for _, s := range specs {
		if m := regexp.MustCompile(`(?m)^base:\s*(\S+)`).FindStringSubmatch(s.yaml); m != nil {
			if l, err := location.Parse(m[1], location.Base); err == nil && l.Kind == location.Registry {
				refs[l.Ref] = true
			}
		}
	}
	for ref := range refs {
		r, err := registry.ParseReference(ref)
		if err != nil {
			t.Fatal(err)
		}
		reg.PushLayout(t, layout, testbase.Ref, reg.Host+"/"+r.Path+":"+r.Tag)
		toml := "server = \"https://" + r.Domain + "\"\n\n[host.\"http://" + reg.Host + "\"]\n  capabilities = [\"pull\", \"resolve\"]\n"
		dir := filepath.Join(hosts, r.Domain)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "hosts.toml"), []byte(toml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return hosts
}

// TestDocSpecsBuild builds every spec the documentation shows (pieces
// completed with apiVersion and a base), with made-up sources and the
// registry bases served by the test registry: a spec in the docs that does
// not build is a documentation bug.
func TestDocSpecsBuild(t *testing.T) {
	specs := docSpecs(t)
	if len(specs) < 10 {
		t.Fatalf("found %d specs in the docs, want at least 10: the search is broken", len(specs))
	}
	hosts := docRegistry(t, specs)
	cache := t.TempDir()
	// annotations: auto reads the checkout; the temp dirs are none, so
	// build as GitHub Actions would.
	t.Setenv("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
	t.Setenv("GITHUB_SERVER_URL", "https://github.com")
	t.Setenv("GITHUB_REPOSITORY", "example/app")
	for _, s := range specs {
		t.Run(strings.NewReplacer("/", "_", ":", "_").Replace(s.where), func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "build.yaml")
			y := complete(s.yaml)
			if err := os.WriteFile(file, []byte(y), 0o644); err != nil {
				t.Fatal(err)
			}
			writeSources(t, dir, y)
			r := cliRun("build", "-f", file, "--progress", "quiet", "--arg", "VERSION=1.0", "--hosts-dir", hosts, "--cache-dir", cache)
			if r.code != exitOK {
				t.Fatalf("%s does not build: exit %d\n%s\nspec:\n%s", s.where, r.code, r.stderr, y)
			}
		})
	}
}

// writeSources makes up the src files a spec names: a tar.gz for extract,
// a directory for a src without extension copied into a dst ending in /, a
// file otherwise, for every platform the spec may build.
func writeSources(t *testing.T, dir, y string) {
	t.Helper()
	b, err := spec.Parse([]byte(y), "build.yaml", "", spec.LoadOptions{Args: map[string]string{"VERSION": "1.0"}})
	if err != nil {
		t.Fatalf("%v\nspec:\n%s", err, y)
	}
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		pb, err := b.ForPlatform(platforms.MustParse(p))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range pb.Layers {
			for _, f := range l.Files {
				if f.Src != "" {
					writeSource(t, filepath.Join(dir, filepath.FromSlash(f.Src)), f)
				}
			}
		}
	}
}

// writeSource makes up one source at path.
func writeSource(t *testing.T, path string, f spec.File) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var data []byte
	switch {
	case f.Extract:
		data = tarGz(t, "lib/vendored.txt", "vendored\n")
	case strings.HasSuffix(f.Dst, "/") && filepath.Ext(path) == "":
		if err := os.MkdirAll(filepath.Join(path, "css"), 0o755); err != nil {
			t.Fatal(err)
		}
		for name, content := range map[string]string{"index.html": "<h1>hi</h1>\n", "css/site.css": "h1{}\n", "app.js.map": "{}\n"} {
			if err := os.WriteFile(filepath.Join(path, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	default:
		data = []byte("#!/bin/sh\necho " + filepath.Base(path) + "\n")
	}
	if err := os.WriteFile(path, data, 0o755); err != nil {
		t.Fatal(err)
	}
}

// tarGz returns a gzipped tar holding one file.
func tarGz(t *testing.T, name, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
