package spec

// StringList is a list of strings that may also be written as one scalar
// (the decoder in decode.go reads both forms).
type StringList []string

// KeyValue is one entry of a NullableMap. A nil Value removes the key.
type KeyValue struct {
	// Key is the map key.
	Key string
	// Value is the value; nil (YAML null) removes the key.
	Value *string
}

// NullableMap is an ordered mapping of strings to strings or null (the
// decoder in decode.go keeps the order and the nulls).
type NullableMap []KeyValue

// Get returns the value for key and whether the key is present.
func (m NullableMap) Get(key string) (*string, bool) {
	for _, kv := range m {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return nil, false
}
