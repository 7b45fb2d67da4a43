package spec

import (
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/ybuild/ybuild/internal/inputerr"
)

// MaxSpecSize is the largest spec file Load reads: 4 MiB, far beyond any
// hand-written spec.
const MaxSpecSize = 4 << 20

// readSpec reads the spec file at path. It must be a regular file (a FIFO
// is refused without blocking, a device before anything is read) of at
// most MaxSpecSize bytes.
func readSpec(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", inputerr.FileKind(fi.Mode()))
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxSpecSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSpecSize {
		return nil, fmt.Errorf("larger than %d bytes", MaxSpecSize)
	}
	return data, nil
}
