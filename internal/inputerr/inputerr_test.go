package inputerr

import (
	"errors"
	"fmt"
	"io/fs"
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

func TestFileKind(t *testing.T) {
	for m, want := range map[fs.FileMode]string{
		fs.ModeDir:                        "a directory",
		fs.ModeNamedPipe:                  "a FIFO",
		fs.ModeSocket:                     "a socket",
		fs.ModeDevice | fs.ModeCharDevice: "a device",
		fs.ModeDevice:                     "a device",
		fs.ModeSymlink:                    "L---------",
	} {
		if got := FileKind(m); got != want {
			t.Errorf("FileKind(%v) = %q, want %q", m, got, want)
		}
	}
}
