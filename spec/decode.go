package spec

import (
	"fmt"
	"reflect"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// maxNodes bounds the nodes visited while decoding, so that alias bombs
// ("billion laughs") fail instead of exhausting memory.
const maxNodes = 200_000

var (
	stringListType  = reflect.TypeFor[StringList]()
	nullableMapType = reflect.TypeFor[NullableMap]()
)

// decoder walks a yaml.Node tree against the Go types, strictly: it reads
// scalar text (never YAML 1.1 numbers), reports unknown fields, wrong kinds
// and duplicate keys with line:column, and records the position of every
// field path.
type decoder struct {
	errs   *errs
	notes  notes
	budget int
	// overflow is set when the budget ran out: the one error Parse then
	// reports, instead of everything the cut-short decode would add.
	overflow *Error
}

// newDecoder returns a decoder that reports into e.
func newDecoder(e *errs) *decoder {
	return &decoder{errs: e, notes: notes{}, budget: maxNodes}
}

// fail records a problem with node n at path and marks the path bad, so that
// validation does not report it a second time.
func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.notes.set(path, flagBad)
	d.errs.add(nodePos(n), path, format, args...)
}

// nodePos is the position of n.
func nodePos(n *yaml.Node) Pos { return Pos{Line: n.Line, Column: n.Column} }

// resolve follows aliases and spends the node budget.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	d.budget--
	if d.budget == 0 {
		d.overflow = &Error{File: d.errs.file, Pos: nodePos(n),
			Msg: fmt.Sprintf("document too large: more than %d YAML nodes (an alias counts each time it is used)", maxNodes)}
	}
	if d.budget <= 0 {
		return nil
	}
	return n
}

// decode stores node n into v, which is addressable.
func (d *decoder) decode(path string, n *yaml.Node, v reflect.Value) {
	if n = d.resolve(n); n == nil {
		return
	}
	d.notes.setPos(path, nodePos(n))
	if isNull(n) {
		return // null leaves the zero value: the field is unset
	}
	switch v.Type() {
	case stringListType:
		d.stringList(path, n, v)
		return
	case nullableMapType:
		d.nullableMap(path, n, v)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		d.decode(path, n, p.Elem())
		v.Set(p)
	case reflect.Struct:
		d.structure(path, n, v)
	case reflect.String:
		if s, ok := d.scalar(path, n, "a string"); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		d.boolean(path, n, v)
	case reflect.Slice:
		d.sequence(path, n, v)
	case reflect.Map:
		d.stringMap(path, n, v)
	default:
		panic(fmt.Sprintf("spec: cannot decode into %s", v.Type()))
	}
}

// scalar returns the literal text of a scalar node.
func (d *decoder) scalar(path string, n *yaml.Node, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "expected %s, got %s", want, describe(n))
		return "", false
	}
	return n.Value, true
}

// boolean decodes true or false.
func (d *decoder) boolean(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		d.fail(n, path, "expected true or false, got %s", describe(n))
		return
	}
	b, err := strconv.ParseBool(n.Value)
	if err != nil {
		d.fail(n, path, "expected true or false, got %q", n.Value)
		return
	}
	v.SetBool(b)
}

// sequence decodes a list element by element.
func (d *decoder) sequence(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "expected a list, got %s", describe(n))
		return
	}
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, c := range n.Content {
		d.decode(indexPath(path, i), c, out.Index(i))
	}
	v.Set(out)
}

// stringList decodes a scalar or a list of scalars.
func (d *decoder) stringList(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind == yaml.ScalarNode {
		d.notes.setPos(path+"[0]", nodePos(n))
		v.Set(reflect.ValueOf(StringList{n.Value}))
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "expected a string or a list of strings, got %s", describe(n))
		return
	}
	d.sequence(path, n, v)
}

// stringMap decodes a mapping of strings to strings.
func (d *decoder) stringMap(path string, n *yaml.Node, v reflect.Value) {
	m := reflect.MakeMap(v.Type())
	for _, p := range d.pairs(path, n) {
		kp := keyPath(path, p.key)
		c := d.resolve(p.val)
		if c == nil {
			continue
		}
		d.notes.setPos(kp, nodePos(c))
		if isNull(c) {
			d.fail(c, kp, "expected a string, got null")
			continue
		}
		if s, ok := d.scalar(kp, c, "a string"); ok {
			m.SetMapIndex(reflect.ValueOf(p.key), reflect.ValueOf(s))
		}
	}
	v.Set(m)
}

// nullableMap decodes an ordered mapping of strings to strings or null.
func (d *decoder) nullableMap(path string, n *yaml.Node, v reflect.Value) {
	out := NullableMap{}
	for _, p := range d.pairs(path, n) {
		kp := keyPath(path, p.key)
		c := d.resolve(p.val)
		if c == nil {
			continue
		}
		d.notes.setPos(kp, nodePos(c))
		kv := KeyValue{Key: p.key}
		if !isNull(c) {
			s, ok := d.scalar(kp, c, "a string or null")
			if !ok {
				continue
			}
			kv.Value = &s
		}
		out = append(out, kv)
	}
	v.Set(reflect.ValueOf(out))
}

// structure decodes a mapping into a struct, field by yaml name.
// An unknown field close to a known one that the mapping lacks ("dest" for
// dst) marks that field bad: the typo is the one error reported, not also
// "dst: required".
func (d *decoder) structure(path string, n *yaml.Node, v reflect.Value) {
	fields := fieldsOf(v.Type())
	pairs := d.pairs(path, n)
	written := make(map[string]bool, len(pairs))
	for _, p := range pairs {
		written[p.key] = true
	}
	for _, p := range pairs {
		f, ok := fields.byName[p.key]
		if !ok {
			d.fail(p.keyNode, path, "unknown field %q%s", p.key, suggest(p.key, fields.names))
			if meant := closest(p.key, fields.names); meant != "" && !written[meant] {
				d.notes.set(joinPath(path, meant), flagBad)
			}
			continue
		}
		d.decode(joinPath(path, p.key), p.val, v.FieldByIndex(f))
	}
}

// isNull reports whether n is a null scalar (~, null or nothing).
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what a node is, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	switch n.ShortTag() {
	case "!!null":
		return "null"
	case "!!bool":
		return fmt.Sprintf("the boolean %s", n.Value)
	case "!!int", "!!float":
		return fmt.Sprintf("the number %s", n.Value)
	}
	return strconv.Quote(n.Value)
}
