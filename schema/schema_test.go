package schema

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/ybuild/ybuild/schema/internal/generate"
)

func TestSchemaUpToDate(t *testing.T) {
	want, err := generate.Schema("../spec")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(JSON(), want) {
		t.Fatal("build.schema.json is stale: run go generate ./schema")
	}
}

// compile compiles the embedded schema.
func compile(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(JSON()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(generate.ID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(generate.ID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fromYAML turns a YAML document into JSON values the way the spec package
// reads it: every scalar is text except booleans and nulls.
func fromYAML(data []byte) (any, error) { return decodeYAML(data, textScalar) }

// fromYAMLTyped turns a YAML document into JSON values the way editors
// (yaml-language-server) see it before checking a schema: YAML 1.2 numbers
// and booleans are numbers and booleans, not text.
func fromYAMLTyped(data []byte) (any, error) { return decodeYAML(data, typedScalar) }

// decodeYAML turns a YAML document into JSON values, its scalars by scalar.
func decodeYAML(data []byte, scalar func(*yaml.Node) any) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return nodeValue(doc.Content[0], scalar), nil
}

// nodeValue converts one node, its scalars by scalar.
func nodeValue(n *yaml.Node, scalar func(*yaml.Node) any) any {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = nodeValue(n.Content[i+1], scalar)
		}
		return m
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			l = append(l, nodeValue(c, scalar))
		}
		return l
	}
	return scalar(n)
}

// textScalar is a scalar as the spec reads it: null, a boolean, or text.
func textScalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		return strings.EqualFold(n.Value, "true")
	}
	return n.Value
}

// typedScalar is a scalar as an editor types it: numbers too.
func typedScalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!int":
		if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
			return i
		}
	case "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
			return f
		}
	}
	return textScalar(n)
}

// TestEditorTypedScalars checks the schema as an editor applies it, with
// YAML's number and boolean types: a scalar the spec reads as text
// (args: {VERSION: 1.2}, ports: [8080], labels: {enabled: true}, the
// documented limits: {maxEntries: 3000000}) must not be flagged, and what
// the spec refuses still is. Every such value was flagged "expected
// string".
func TestEditorTypedScalars(t *testing.T) {
	s := compile(t)
	head := "apiVersion: ybuild/v1\nbase: scratch\n"
	for _, tc := range []struct {
		doc string
		ok  bool
	}{
		{"args: {VERSION: 1.2}\n", true},
		{"config: {ports: [8080, \"53/udp\"], user: 1000, labels: {traefik.enable: true}, env: {PORT: 8080, DEBUG: null}}\n", true},
		{"config: {cmd: [sleep, 10], entrypoint: 1}\n", true},
		{"files: [{src: a.tgz, dst: /opt/, extract: true, limits: {maxSize: 16GiB, maxEntries: 3000000}}]\n", true},
		{"files: [{content: 42, dst: /n, mode: 0755}]\nannotations: {x: 1}\ntags: [\"app:1\"]\n", true},
		{"files: [{src: a, dst: /a, owner: 1000}]\n", false}, // owner is "uid:gid"
		{"files: [{dst: /d, dir: yes}]\n", false},            // YAML 1.2: "yes" is text
		{"compression: 1\n", false},
		{"format: true\n", false},
		{"config: {env: {A: [1]}}\n", false},
		{"config: {ports: {a: 1}}\n", false},
	} {
		v, err := fromYAMLTyped([]byte(head + tc.doc))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(v); (err == nil) != tc.ok {
			t.Errorf("%q: valid = %v, want %v (%v)", tc.doc, err == nil, tc.ok, err)
		}
	}
}

// TestExamplesValidate validates every example spec against the schema; it
// fails when it finds none, so that it cannot pass by checking nothing.
func TestExamplesValidate(t *testing.T) {
	s := compile(t)
	files, err := filepath.Glob("../examples/*/build.yaml")
	if err != nil {
		t.Fatal(err)
	}
	nested, _ := filepath.Glob("../examples/monorepo/services/*/build.yaml") // the multi-spec example
	files = append(files, nested...)
	if len(files) == 0 {
		t.Fatal("no ../examples/*/build.yaml: the examples moved or the glob is wrong, so nothing was validated")
	}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f)), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, read := range []func([]byte) (any, error){fromYAML, fromYAMLTyped} {
				v, err := read(data)
				if err != nil {
					t.Fatalf("%s: not valid YAML: %v", f, err)
				}
				if err := s.Validate(v); err != nil {
					t.Errorf("%s: %v", f, err)
				}
			}
		})
	}
}

func TestInlineDocuments(t *testing.T) {
	s := compile(t)
	tests := []struct {
		name string
		doc  string
		ok   bool
	}{
		{"minimal", "apiVersion: ybuild/v1\nbase: scratch\n", true},
		{"full", `apiVersion: ybuild/v1
base: alpine:3.20
platforms: linux/amd64
defaults: {owner: "0:0", fileMode: 0644, dirMode: "0755", mtime: created}
layers:
  - name: app
    owner: "1000:1000"
    files:
      - {src: bin/app, dst: /app/bin/app, mode: "0755"}
      - {content: "x\n", dst: /etc/app.conf, mtime: 2024-01-01T00:00:00Z}
    delete: [/etc/motd]
config:
  entrypoint: /app/bin/app
  cmd: [serve]
  env: {PATH: "/app/bin:$PATH", DEBUG: null}
format: docker
compression: gzip
`, true},
		{"missing base", "apiVersion: ybuild/v1\n", false},
		{"wrong apiVersion", "apiVersion: ybuild/v2\nbase: scratch\n", false},
		{"unknown field", "apiVersion: ybuild/v1\nbase: scratch\nbsae: x\n", false},
		{"missing dst", "apiVersion: ybuild/v1\nbase: scratch\nfiles: [{src: a}]\n", false},
		{"bad mode", "apiVersion: ybuild/v1\nbase: scratch\nfiles: [{src: a, dst: /a, mode: \"0999\"}]\n", false},
		{"bad owner", "apiVersion: ybuild/v1\nbase: scratch\ndefaults: {owner: root}\n", false},
		{"bad compression", "apiVersion: ybuild/v1\nbase: scratch\ncompression: xz\n", false},
		{"env list", "apiVersion: ybuild/v1\nbase: scratch\nconfig: {env: [A=1]}\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := fromYAML([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			err = s.Validate(v)
			if (err == nil) != tt.ok {
				t.Fatalf("valid = %v, want %v (%v)", err == nil, tt.ok, err)
			}
		})
	}
}
