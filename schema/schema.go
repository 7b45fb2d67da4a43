// Package schema holds the JSON Schema of build.yaml, generated from the
// spec package's types (run go generate ./schema after changing them) and
// embedded in the binary.
package schema

import _ "embed"

//go:generate go run ./gen -o build.schema.json

//go:embed build.schema.json
var schemaJSON []byte

// JSON returns the JSON Schema (draft 2020-12) of build.yaml. The caller
// must not modify the returned slice.
func JSON() []byte { return schemaJSON }
