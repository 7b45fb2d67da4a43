package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestTopLevelString reads only the top-level key, skipping nested objects
// and arrays that hold the same key, and fails on a non-object.
func TestTopLevelString(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
		wantErr         bool
	}{
		{"first", `{"documentNamespace":"https://a","packages":[]}`, "https://a", false},
		{"after nested", `{"packages":[{"documentNamespace":"no"},[1,{"x":{}}]],"n":null,"documentNamespace":"https://b"}`, "https://b", false},
		{"only nested", `{"x":{"documentNamespace":"no"}}`, "", false},
		{"not a string", `{"documentNamespace":7}`, "", false},
		{"array", `["documentNamespace"]`, "", true},
		{"truncated", `{"packages":[{"a":`, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := topLevelString(json.NewDecoder(strings.NewReader(tc.doc)), "documentNamespace")
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("got %q, %v; want %q, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
