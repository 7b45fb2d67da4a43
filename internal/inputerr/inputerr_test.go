package inputerr

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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

// TestReadFile: a regular file is read by both; ReadFileOrPipe reads a
// pipe a writer fills, and a FIFO nobody writes as empty at once instead
// of blocking, which ReadFile refuses; a directory and a file over the
// bound are refused as input errors naming the file.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	reg, fifo := filepath.Join(dir, "key"), filepath.Join(dir, "fifo")
	if err := os.WriteFile(reg, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for _, read := range []func(string, int64) ([]byte, error){ReadFile, ReadFileOrPipe} {
		if data, err := read(reg, 6); err != nil || string(data) != "secret" {
			t.Fatalf("read(regular) = %q, %v", data, err)
		}
	}
	if data, err := ReadFileOrPipe(fifo, 6); err != nil || len(data) != 0 {
		t.Fatalf("ReadFileOrPipe(FIFO without a writer) = %q, %v; want empty", data, err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	go func() {
		_, _ = pw.WriteString("piped")
		pw.Close()
	}()
	if data, err := ReadFileOrPipe(fmt.Sprintf("/dev/fd/%d", pr.Fd()), 6); err != nil || string(data) != "piped" {
		t.Fatalf("ReadFileOrPipe(pipe) = %q, %v", data, err)
	}
	for _, tc := range []struct {
		read       func(string, int64) ([]byte, error)
		path, want string
	}{
		{ReadFile, fifo, "not a regular file (a FIFO)"},
		{ReadFileOrPipe, dir, "not a regular file (a directory)"},
		{ReadFile, reg, "larger than 5 bytes"},
	} {
		_, err := tc.read(tc.path, 5)
		if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("read(%s) = %v, want an input error naming it and %q", tc.path, err, tc.want)
		}
	}
}
