package imagediff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"

	"github.com/opencontainers/go-digest"
)

// field is one leaf of a JSON document.
type field struct {
	path  string
	value json.RawMessage
}

// flatten lists the leaves of a JSON document in document order, object
// keys sorted. Empty objects and arrays are leaves.
func flatten(data []byte) ([]field, error) {
	var v any
	if len(data) == 0 {
		return nil, nil
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("parse config: %w", err)
	}
	var out []field
	walk("", v, &out)
	return out, nil
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// walk appends the leaves under v at path p.
func walk(p string, v any, out *[]field) {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 {
			break
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walk(childPath(p, k), t[k], out)
		}
		return
	case []any:
		if len(t) == 0 {
			break
		}
		for i, e := range t {
			walk(fmt.Sprintf("%s[%d]", p, i), e, out)
		}
		return
	}
	data, _ := json.Marshal(v)
	*out = append(*out, field{path: p, value: data})
}

// childPath is p.k, or p["k"] when k is not an identifier.
func childPath(p, k string) string {
	if identifier.MatchString(k) {
		if p == "" {
			return k
		}
		return p + "." + k
	}
	q, _ := json.Marshal(k)
	return p + "[" + string(q) + "]"
}

// maxFields bounds the values of a document compared field by field: a
// 32 MiB config of [0,0,0,…] has sixteen million, which would take
// gigabytes to flatten. Real configs have a few thousand.
const maxFields = 1 << 16

// WholeDocument is the Field of the one change reported for documents
// too large to compare field by field; Old and New are their digests.
const WholeDocument = "(whole document: too large to compare field by field)"

// compareJSON lists the leaves that differ between two JSON documents, in
// A's order, then those only in B. Documents with more than maxFields
// values are compared whole.
func compareJSON(a, b []byte) ([]FieldChange, error) {
	if bytes.Equal(a, b) {
		return nil, nil
	}
	if countValues(a) > maxFields || countValues(b) > maxFields {
		o, _ := json.Marshal(digest.FromBytes(a))
		n, _ := json.Marshal(digest.FromBytes(b))
		return []FieldChange{{Field: WholeDocument, Old: o, New: n}}, nil
	}
	fa, err := flatten(a)
	if err != nil {
		return nil, err
	}
	fb, err := flatten(b)
	if err != nil {
		return nil, err
	}
	mb := make(map[string]json.RawMessage, len(fb))
	for _, f := range fb {
		mb[f.path] = f.value
	}
	seen := map[string]bool{}
	var out []FieldChange
	for _, f := range fa {
		seen[f.path] = true
		if nv, ok := mb[f.path]; !ok || string(nv) != string(f.value) {
			out = append(out, FieldChange{Field: f.path, Old: f.value, New: nv})
		}
	}
	for _, f := range fb {
		if !seen[f.path] {
			out = append(out, FieldChange{Field: f.path, New: f.value})
		}
	}
	return out, nil
}

// compareAnnotations lists the annotations that differ, by key.
func compareAnnotations(a, b map[string]string) []FieldChange {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var out []FieldChange
	for _, k := range sorted {
		va, inA := a[k]
		vb, inB := b[k]
		if inA == inB && va == vb {
			continue
		}
		c := FieldChange{Field: k}
		if inA {
			c.Old, _ = json.Marshal(va)
		}
		if inB {
			c.New, _ = json.Marshal(vb)
		}
		out = append(out, c)
	}
	return out
}

// countValues bounds from above the number of values in a JSON document
// without parsing it: one, plus one per comma and per opening bracket
// outside strings.
func countValues(data []byte) int {
	n, inString, escaped := 1, false, false
	for _, c := range data {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && (c == ',' || c == '[' || c == '{'):
			n++
		}
	}
	return n
}
