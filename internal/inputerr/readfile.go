package inputerr

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ReadFile reads a small file the user named (a credentials file, read
// again by other code): it must be a regular file of at most max bytes.
// The open does not block on a FIFO, which is refused like a directory,
// device or socket before anything is read (errors matching ErrInput,
// naming the file and its kind).
func ReadFile(path string, max int64) ([]byte, error) {
	data, err := read(path, max, false)
	return data, withPath(path, err)
}

// ReadRegular is ReadFile for callers that name the file in their own
// messages (a spec's errors start with its path): its refusals do not
// name it.
func ReadRegular(path string, max int64) ([]byte, error) {
	return read(path, max, false)
}

// ReadFileOrPipe is ReadFile that also takes a pipe or FIFO, such as a
// shell's <(…) (a signing key, a CA file). A FIFO that nobody writes reads
// as empty at once instead of waiting forever for a writer.
func ReadFileOrPipe(path string, max int64) ([]byte, error) {
	data, err := read(path, max, true)
	return data, withPath(path, err)
}

// withPath prefixes read's own refusals (ErrInput) with the path; the os
// package's errors already name it.
func withPath(path string, err error) error {
	if errors.Is(err, ErrInput) {
		return fmt.Errorf("%s: %w", path, err)
	}
	return err
}

// read opens path without blocking, checks its type and reads at most max
// bytes; its refusals match ErrInput and do not name the path.
func read(path string, max int64, pipes bool) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if m := fi.Mode(); !m.IsRegular() && !(pipes && m&fs.ModeNamedPipe != 0) {
		return nil, fmt.Errorf("not a regular file (%s)%.0w", FileKind(m), ErrInput)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("larger than %d bytes%.0w", max, ErrInput)
	}
	return data, nil
}
