package spec

import (
	"errors"
	"strings"
	"testing"
)

// TestTooLargeIsOneLine checks that a spec over the node budget gives one
// error, not thousands about the part decoded before the budget ran out
// followed by "document too large".
func TestTooLargeIsOneLine(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: ybuild/v1\nbase: scratch\nfiles:\n")
	for i := 0; i < maxNodes/5; i++ {
		b.WriteString("  - {content: x, bogus: 1}\n") // unknown field, no dst: two errors each
	}
	_, err := Parse([]byte(b.String()), "big.yaml", "", LoadOptions{})
	if err == nil {
		t.Fatal("no error")
	}
	if lines := strings.Count(err.Error(), "\n") + 1; lines != 1 || !strings.Contains(err.Error(), "document too large") {
		t.Errorf("%d lines, want one saying document too large; first: %.200s", lines, err)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("%v does not match ErrInvalid", err)
	}

}
