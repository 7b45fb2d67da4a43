package spec

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// StringList is a list of strings that may also be written as one scalar.
type StringList []string

// UnmarshalYAML accepts a scalar or a sequence of scalars.
func (l *StringList) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*l = StringList{n.Value}
		return nil
	case yaml.SequenceNode:
		out := make(StringList, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: expected a string", c.Line)
			}
			out = append(out, c.Value)
		}
		*l = out
		return nil
	}
	return fmt.Errorf("line %d: expected a string or a list of strings", n.Line)
}

// KeyValue is one entry of a NullableMap. A nil Value removes the key.
type KeyValue struct {
	// Key is the map key.
	Key string
	// Value is the value; nil (YAML null) removes the key.
	Value *string
}

// NullableMap is an ordered mapping of strings to strings or null.
type NullableMap []KeyValue

// UnmarshalYAML reads a mapping, keeping its order and its nulls.
func (m *NullableMap) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: expected a mapping", n.Line)
	}
	out := make(NullableMap, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: %s: expected a string or null", v.Line, k.Value)
		}
		kv := KeyValue{Key: k.Value}
		if v.Tag != "!!null" {
			s := v.Value
			kv.Value = &s
		}
		out = append(out, kv)
	}
	*m = out
	return nil
}

// Get returns the value for key and whether the key is present.
func (m NullableMap) Get(key string) (*string, bool) {
	for _, kv := range m {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return nil, false
}
