// Package generate builds the JSON Schema of build.yaml from the spec
// package's Go types and their doc comments.
package generate

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/invopop/jsonschema"

	"github.com/ybuild/ybuild/spec"
)

// ID is the schema's $id.
const ID = "https://github.com/ybuild/ybuild/schema/build.schema.json"

// Patterns of the string attributes, kept in line with spec.ParseOwner,
// spec.ParseMode and spec.ParseMtime.
const (
	ownerPattern = `^[0-9]+:[0-9]+$`
	modePattern  = `^(0[oO])?[0-7]{1,5}$`
	mtimePattern = `^(created|preserve|[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2}))$`
)

// Schema returns the indented JSON Schema, ending in a newline. specDir is
// the spec package's source directory, read for field comments.
func Schema(specDir string) ([]byte, error) {
	r := &jsonschema.Reflector{ExpandedStruct: true, Mapper: mapType}
	// AddGoComments keys comments by base joined with each file's directory.
	if err := r.AddGoComments("github.com/ybuild/ybuild/schema", specDir); err != nil {
		return nil, fmt.Errorf("read spec comments: %w", err)
	}
	s := r.Reflect(&spec.Build{})
	s.ID = ID
	s.Title = "ybuild build.yaml"
	for _, d := range s.Definitions {
		patchAttrs(d)
	}
	patchAttrs(s)
	if p, ok := s.Properties.Get("apiVersion"); ok {
		p.Const = spec.APIVersion
	}
	for _, d := range s.Definitions {
		scalarText(d)
	}
	scalarText(s)
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode schema: %w", err)
	}
	return append(out, '\n'), nil
}

// mapType gives the schemas of the spec's custom YAML types.
func mapType(t reflect.Type) *jsonschema.Schema {
	str := &jsonschema.Schema{Type: "string"}
	switch t {
	case reflect.TypeFor[spec.StringList]():
		return &jsonschema.Schema{
			Description: "A string or a list of strings.",
			OneOf:       []*jsonschema.Schema{str, {Type: "array", Items: str}},
		}
	case reflect.TypeFor[spec.NullableMap]():
		return &jsonschema.Schema{
			Type:                 "object",
			Description:          "A mapping of names to strings; null removes the name.",
			AdditionalProperties: &jsonschema.Schema{OneOf: []*jsonschema.Schema{str, {Type: "null"}}},
		}
	case reflect.TypeFor[spec.Format]():
		return &jsonschema.Schema{Type: "string", Enum: []any{string(spec.FormatOCI), string(spec.FormatDocker)}}
	case reflect.TypeFor[spec.Compression]():
		return &jsonschema.Schema{Type: "string", Enum: []any{
			string(spec.CompressionGzip), string(spec.CompressionZstd), string(spec.CompressionNone)}}
	}
	return nil
}

// patchAttrs adds patterns to the owner, mode and mtime properties of s.
func patchAttrs(s *jsonschema.Schema) {
	if s.Properties == nil {
		return
	}
	for pair := s.Properties.Oldest(); pair != nil; pair = pair.Next() {
		switch p := pair.Value; pair.Key {
		case "owner":
			p.Pattern = ownerPattern
		case "fileMode", "dirMode", "mode":
			modeSchema(p)
		case "mtime":
			p.Pattern = mtimePattern
		}
	}
}

// modeSchema makes p an octal mode string, also allowing the unquoted
// number YAML tools see in mode: 0755.
func modeSchema(p *jsonschema.Schema) {
	p.Type = ""
	p.OneOf = []*jsonschema.Schema{
		{Type: "string", Pattern: modePattern},
		{Type: "integer", Minimum: "0", Maximum: "7777"},
	}
}

// scalarTypes are the JSON types of a YAML scalar the spec reads as text.
var scalarTypes = []string{"string", "number", "boolean"}

// scalarText lets every free-text string of s (and of the schemas inside
// it) also be a number or a boolean. The spec reads a scalar's text
// whatever YAML would type it (args: {VERSION: 1.2} is "1.2", labels:
// {enabled: true} is "true", ports: [8080] is "8080"), while editors
// (yaml-language-server) type it as YAML 1.2 does and would flag a
// "string" property given 1.2. Strings with a pattern, an enum or a
// constant keep their type: no number or boolean matches them.
func scalarText(s *jsonschema.Schema) {
	if s == nil {
		return
	}
	if s.Type == "string" && s.Pattern == "" && len(s.Enum) == 0 && s.Const == nil {
		s.Type = ""
		if s.Extras == nil {
			s.Extras = map[string]any{}
		}
		s.Extras["type"] = scalarTypes
	}
	if s.Properties != nil {
		for pair := s.Properties.Oldest(); pair != nil; pair = pair.Next() {
			scalarText(pair.Value)
		}
	}
	scalarText(s.Items)
	scalarText(s.AdditionalProperties)
	for _, c := range s.OneOf {
		scalarText(c)
	}
	for _, c := range s.AnyOf {
		scalarText(c)
	}
}
