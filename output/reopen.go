package output

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// reopener reads a blob that is streamed from its source (a base blob on
// another registry, teed into the blob cache as it passes). It is seekable
// for content.Copy, which seeks back to restart an upload after an
// authentication round trip: a seek opens the blob again (from the cache
// once it is complete there) and skips to the offset.
type reopener struct {
	ctx  context.Context
	open func(context.Context) (io.ReadCloser, error)
	rc   io.ReadCloser
	pos  int64
}

// Read reads from the current stream, opening it first if needed.
func (r *reopener) Read(p []byte) (int, error) {
	if r.rc == nil {
		rc, err := r.open(r.ctx)
		if err != nil {
			return 0, err
		}
		r.rc = rc
	}
	n, err := r.rc.Read(p)
	r.pos += int64(n)
	return n, err
}

// Seek supports only io.SeekStart. Seeking to the current position does
// nothing; anything else reopens the blob and discards up to off.
func (r *reopener) Seek(off int64, whence int) (int64, error) {
	if whence != io.SeekStart || off < 0 {
		return r.pos, errors.New("reopener: only absolute, non-negative seeks")
	}
	if off == r.pos {
		return off, nil
	}
	if err := r.Close(); err != nil {
		return r.pos, err
	}
	r.pos = 0
	if off == 0 {
		return 0, nil
	}
	n, err := io.CopyN(io.Discard, r, off)
	if err != nil {
		return n, fmt.Errorf("reopen at %d: %w", off, err)
	}
	return off, nil
}

// Close closes the current stream, if any.
func (r *reopener) Close() error {
	if r.rc == nil {
		return nil
	}
	err := r.rc.Close()
	r.rc = nil
	return err
}
