package assemble

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/ybuild/ybuild/imageio"
)

// spool holds the regular files of extracted archives on disk until the
// layer is written: entries are written in sorted order, not archive
// order, and a compressed archive cannot be read out of order. Memory stays
// constant; disk use is the archives' uncompressed size.
type spool struct {
	parent string // directory to create the spool in (the blob directory)
	dir    string // created on first use
	n      int
}

// write copies size bytes of r into a new spool file and returns its path.
func (s *spool) write(ctx context.Context, r io.Reader, size int64) (string, error) {
	if s.dir == "" {
		d, err := os.MkdirTemp(s.parent, ".extract-")
		if err != nil {
			return "", fmt.Errorf("spool: %w", err)
		}
		s.dir = d
	}
	s.n++
	path := filepath.Join(s.dir, strconv.Itoa(s.n))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("spool: %w", err)
	}
	_, err = io.CopyN(f, imageio.WithContext(ctx, archiveReader{r}), size)
	if errors.Is(err, io.EOF) { // CopyN's EOF: the archive ends inside this entry
		err = fmt.Errorf("%w: truncated: %w", ErrBadArchive, io.ErrUnexpectedEOF)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("spool: %w", err)
	}
	return path, nil
}

// archiveReader marks the read errors of an archive entry (a truncated or
// corrupt archive, a bad checksum) as ErrBadArchive, so that they exit 2
// like other bad sources; errors writing the spool stay as they are.
type archiveReader struct{ r io.Reader }

// Read reads from the archive entry.
func (a archiveReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = badArchive(err)
	}
	return n, err
}

// remove deletes the spool.
func (s *spool) remove() {
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}
