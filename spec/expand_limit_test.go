package spec

import (
	"errors"
	"strings"
	"testing"
)

// TestExpandedLimit: ${NAME} substitution cannot blow a small spec up: a
// 1 MiB argument referred to 20 times in one annotation (or in config.env,
// which keeps unknown names) asked for 20 MiB, and a few thousand
// references for gigabytes; past MaxExpanded in all the spec is refused
// at the string that crossed it. 10 references (10 MiB) are fine.
func TestExpandedLimit(t *testing.T) {
	arg := strings.Repeat("x", 1<<20)
	for _, tc := range []struct {
		name, field string
		refs        int
		ok          bool
	}{
		{"within", "annotations: {a: \"%s\"}", 10, true},
		{"annotation", "annotations: {a: \"%s\"}", 20, false},
		{"config env", "config: {env: {A: \"%s\"}}", 20, false},
		{"many strings", "annotations: {a: \"%[1]s\", b: \"%[1]s\", c: \"%[1]s\"}", 6, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			field := strings.ReplaceAll(tc.field, "%[1]s", "%s")
			refs := strings.Repeat("${A}", tc.refs)
			field = strings.ReplaceAll(field, "%s", refs)
			spec := "apiVersion: ybuild/v1\nname: boom\nbase: scratch\nargs: {A: " + arg + "}\n" + field + "\nfiles:\n  - {content: hi, dst: /hi}\n"
			_, err := Parse([]byte(spec), "build.yaml", t.TempDir(), LoadOptions{})
			if tc.ok {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "longer than") || !strings.Contains(err.Error(), "build.yaml:5:") {
				t.Errorf("Parse: %.300v, want a spec error at line 5 about the length", err)
			}
		})
	}
}
