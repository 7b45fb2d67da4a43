package imageio

import (
	"errors"
	"fmt"
	"io"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ErrDigestMismatch is returned while reading a blob whose content does
// not match its descriptor's digest or size.
var ErrDigestMismatch = errors.New("content does not match descriptor")

// Sink receives a copy of a verified blob as it is read: it is committed
// once the whole content has been read and verified, and discarded on any
// failure or when the reader is closed early.
type Sink interface {
	io.Writer
	// Commit keeps what was written.
	Commit() error
	// Discard drops what was written.
	Discard()
}

// Reader reads a blob and checks it against its descriptor: it never
// returns more than desc.Size bytes, the read that completes the content
// fails unless the digest matches, EOF before desc.Size bytes fails, and
// so does any byte after them. Every failure wraps ErrDigestMismatch.
type Reader struct {
	rc       io.ReadCloser
	desc     ocispec.Descriptor
	digester digest.Digester
	n        int64
	err      error
	eof      bool
	sink     Sink
	onRead   func(int64)
}

// CheckDescriptor rejects a descriptor whose content cannot be verified: a
// malformed digest or a negative size.
func CheckDescriptor(desc ocispec.Descriptor) error {
	if err := desc.Digest.Validate(); err != nil {
		return fmt.Errorf("descriptor %q: %w", desc.Digest, err)
	}
	if desc.Size < 0 {
		return fmt.Errorf("descriptor %s: negative size %d", desc.Digest, desc.Size)
	}
	return nil
}

// Verify returns a verifying reader of rc for desc. It closes rc and fails
// when desc cannot be verified (CheckDescriptor).
func Verify(rc io.ReadCloser, desc ocispec.Descriptor) (io.ReadCloser, error) {
	if err := CheckDescriptor(desc); err != nil {
		rc.Close()
		return nil, err
	}
	return NewReader(rc, desc), nil
}

// NewReader returns a verifying reader of rc for desc, which must have
// passed CheckDescriptor.
func NewReader(rc io.ReadCloser, desc ocispec.Descriptor) *Reader {
	return &Reader{rc: rc, desc: desc, digester: desc.Digest.Algorithm().Digester()}
}

// Tee makes r copy the content to s, committed at EOF once verified. A
// write error of s discards it without failing the read.
func (r *Reader) Tee(s Sink) { r.sink = s }

// OnRead makes r report the number of bytes of each read to f.
func (r *Reader) OnRead(f func(int64)) { r.onRead = f }

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.n >= r.desc.Size {
		return 0, r.atEnd()
	}
	if rest := r.desc.Size - r.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := r.rc.Read(p)
	r.consume(p[:n])
	if r.n == r.desc.Size {
		if cerr := r.check(); cerr != nil {
			return n, cerr
		}
	}
	if !errors.Is(err, io.EOF) {
		return n, err
	}
	if r.n < r.desc.Size {
		return n, r.fail(fmt.Errorf("blob %s: %d of %d bytes: %w", r.desc.Digest, r.n, r.desc.Size, ErrDigestMismatch))
	}
	r.eof = true
	return n, r.commit()
}

// consume hashes, reports and tees p.
func (r *Reader) consume(p []byte) {
	if len(p) == 0 {
		return
	}
	r.n += int64(len(p))
	r.digester.Hash().Write(p)
	if r.onRead != nil {
		r.onRead(int64(len(p)))
	}
	if r.sink != nil {
		if _, err := r.sink.Write(p); err != nil {
			r.sink.Discard()
			r.sink = nil
		}
	}
}

// atEnd checks the digest (for empty blobs) and that no bytes follow; at
// EOF it commits the sink.
func (r *Reader) atEnd() error {
	if r.eof {
		return io.EOF
	}
	if err := r.check(); err != nil {
		return err
	}
	var b [1]byte
	for {
		n, err := r.rc.Read(b[:])
		if n > 0 {
			return r.fail(fmt.Errorf("blob %s: longer than %d bytes: %w", r.desc.Digest, r.desc.Size, ErrDigestMismatch))
		}
		if errors.Is(err, io.EOF) {
			r.eof = true
			return r.commit()
		}
		if err != nil {
			return err
		}
	}
}

// check compares the digest once all desc.Size bytes are read.
func (r *Reader) check() error {
	if got := r.digester.Digest(); got != r.desc.Digest {
		return r.fail(fmt.Errorf("blob %s: got %s: %w", r.desc.Digest, got, ErrDigestMismatch))
	}
	return nil
}

// commit hands the verified content to the sink.
func (r *Reader) commit() error {
	if r.sink == nil {
		return io.EOF
	}
	s := r.sink
	r.sink = nil
	if err := s.Commit(); err != nil {
		return err
	}
	return io.EOF
}

// fail records err, discards the sink and returns err.
func (r *Reader) fail(err error) error {
	r.err = err
	if r.sink != nil {
		r.sink.Discard()
		r.sink = nil
	}
	return err
}

// Close closes the underlying reader and discards an uncommitted sink; it
// returns the verification error, if any.
func (r *Reader) Close() error {
	if r.sink != nil {
		r.sink.Discard()
		r.sink = nil
	}
	cerr := r.rc.Close()
	if r.err != nil {
		return r.err
	}
	return cerr
}
