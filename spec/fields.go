package spec

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// fieldTable maps the yaml names of a struct (inline structs flattened) to
// field indexes.
type fieldTable struct {
	byName map[string][]int
	names  []string
}

var fieldTables sync.Map // reflect.Type → *fieldTable

// fieldsOf returns the yaml field table of struct type t.
func fieldsOf(t reflect.Type) *fieldTable {
	if ft, ok := fieldTables.Load(t); ok {
		return ft.(*fieldTable)
	}
	ft := &fieldTable{byName: map[string][]int{}}
	addFields(ft, t, nil)
	fieldTables.Store(t, ft)
	return ft
}

// addFields adds the fields of t, whose index within the outer struct starts
// with prefix.
func addFields(ft *fieldTable, t reflect.Type, prefix []int) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		index := append(append([]int(nil), prefix...), i)
		if strings.Contains(opts, "inline") {
			addFields(ft, f.Type, index)
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		ft.byName[name] = index
		ft.names = append(ft.names, name)
	}
}

// pair is one key/value of a mapping, merge keys (<<) expanded.
type pair struct {
	key     string
	keyNode *yaml.Node
	val     *yaml.Node
}

// pairs returns the entries of mapping n, reporting non-string and duplicate
// keys. Keys merged in with << give way to keys written out.
func (d *decoder) pairs(path string, n *yaml.Node) []pair {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "expected a mapping, got %s", describe(n))
		return nil
	}
	var out, merged []pair
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.resolve(n.Content[i])
		if k == nil {
			return out
		}
		if k.Kind != yaml.ScalarNode {
			d.fail(k, path, "expected a string key, got %s", describe(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			merged = append(merged, d.mergePairs(path, n.Content[i+1])...)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.fail(k, path, "duplicate key %q (first at line %d)", k.Value, first.Line)
			continue
		}
		seen[k.Value] = k
		out = append(out, pair{key: k.Value, keyNode: k, val: n.Content[i+1]})
	}
	for _, p := range merged {
		if _, ok := seen[p.key]; !ok {
			seen[p.key] = p.keyNode
			out = append(out, p)
		}
	}
	return out
}

// mergePairs returns the entries of the value of a << key: a mapping or a
// list of mappings.
func (d *decoder) mergePairs(path string, v *yaml.Node) []pair {
	if v = d.resolve(v); v == nil {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		return d.pairs(path, v)
	}
	var out []pair
	for _, c := range v.Content {
		out = append(out, d.mergePairs(path, c)...)
	}
	return out
}

// joinPath appends a field name to a path.
func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// keyPath appends a map key to a path: config.env.PATH, or
// config.labels["org.opencontainers.image.version"] for keys that are not
// plain identifiers.
func keyPath(path, key string) string {
	if plainKey.MatchString(key) {
		return joinPath(path, key)
	}
	return path + "[" + strconv.Quote(key) + "]"
}

// suggest returns `; did you mean "x"?` for the known name closest to name,
// or "" when none is close.
func suggest(name string, known []string) string {
	best := closest(name, known)
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// closest returns the known name closest to name, or "" when none is close.
func closest(name string, known []string) string {
	if len(name) > 64 {
		return ""
	}
	best, bestDist := "", max(2, len(name)/2)+1
	for _, k := range known {
		if d := distance(strings.ToLower(name), strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// distance is the Levenshtein edit distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
