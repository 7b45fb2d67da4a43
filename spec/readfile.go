package spec

import "github.com/ybuild/ybuild/internal/inputerr"

// MaxSpecSize is the largest spec file Load reads: 4 MiB, far beyond any
// hand-written spec.
const MaxSpecSize = 4 << 20

// readSpec reads the spec file at path. It must be a regular file (a FIFO
// is refused without blocking, a device before anything is read) of at
// most MaxSpecSize bytes.
func readSpec(path string) ([]byte, error) {
	return inputerr.ReadRegular(path, MaxSpecSize)
}
