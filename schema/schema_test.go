package schema

import (
	"bytes"
	"os"
	"path/filepath"
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
func fromYAML(data []byte) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return nodeValue(doc.Content[0]), nil
}

// nodeValue converts one node.
func nodeValue(n *yaml.Node) any {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = nodeValue(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			l = append(l, nodeValue(c))
		}
		return l
	}
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		return strings.EqualFold(n.Value, "true")
	}
	return n.Value
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
			v, err := fromYAML(data)
			if err != nil {
				t.Fatalf("%s: not valid YAML: %v", f, err)
			}
			if err := s.Validate(v); err != nil {
				t.Errorf("%s: %v", f, err)
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
