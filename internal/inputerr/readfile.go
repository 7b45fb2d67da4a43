package inputerr

import (
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
	return read(path, max, false)
}

// ReadFileOrPipe is ReadFile that also takes a pipe or FIFO, such as a
// shell's <(…) (a signing key, a CA file). A FIFO that nobody writes reads
// as empty at once instead of waiting forever for a writer.
func ReadFileOrPipe(path string, max int64) ([]byte, error) {
	return read(path, max, true)
}

// read opens path without blocking, checks its type and reads at most max
// bytes.
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
		return nil, fmt.Errorf("%s: not a regular file (%s)%.0w", path, FileKind(m), ErrInput)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes%.0w", path, max, ErrInput)
	}
	return data, nil
}
