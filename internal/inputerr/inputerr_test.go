package inputerr

import (
	"errors"
	"fmt"
	"testing"
)

func TestNew(t *testing.T) {
	e := New("invalid output")
	if e.Error() != "invalid output" {
		t.Errorf("message = %q", e.Error())
	}
	wrapped := fmt.Errorf("oci:x: %w", e)
	if !errors.Is(wrapped, ErrInput) || !errors.Is(wrapped, e) {
		t.Errorf("%v does not match ErrInput and itself", wrapped)
	}
	if errors.Is(errors.New("invalid output"), ErrInput) {
		t.Error("an unrelated error matches ErrInput")
	}
}
