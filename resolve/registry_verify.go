package resolve

import (
	"fmt"
	"io"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// digestReader verifies content against a descriptor while it is read:
// reading past desc.Size fails, and EOF fails unless size and digest match.
// When sink is set, the content is also written there and committed only
// once it has been verified.
type digestReader struct {
	rc       io.ReadCloser
	desc     ocispec.Descriptor
	verifier digest.Verifier
	n        int64
	sink     *cacheWriter
	progress func(int64)
	done     bool
}

// newDigestReader returns a verifying reader of rc for desc.
func newDigestReader(rc io.ReadCloser, desc ocispec.Descriptor) *digestReader {
	return &digestReader{rc: rc, desc: desc, verifier: desc.Digest.Verifier()}
}

// Read reads and verifies.
func (r *digestReader) Read(p []byte) (int, error) {
	if r.done {
		return 0, io.EOF
	}
	if rest := r.desc.Size - r.n + 1; int64(len(p)) > rest {
		p = p[:rest] // one byte more than expected is enough to detect excess
	}
	n, err := r.rc.Read(p)
	if n > 0 {
		if werr := r.consume(p[:n]); werr != nil {
			return n, werr
		}
	}
	if err == io.EOF {
		if verr := r.finish(); verr != nil {
			return n, verr
		}
	}
	return n, err
}

// consume hashes, counts and tees p.
func (r *digestReader) consume(p []byte) error {
	r.n += int64(len(p))
	if r.n > r.desc.Size {
		return r.mismatch()
	}
	_, _ = r.verifier.Write(p)
	if r.progress != nil {
		r.progress(int64(len(p)))
	}
	if r.sink != nil {
		if _, err := r.sink.Write(p); err != nil {
			r.sink.Discard()
			r.sink = nil
		}
	}
	return nil
}

// finish checks size and digest at EOF and commits the sink.
func (r *digestReader) finish() error {
	r.done = true
	if r.n != r.desc.Size || !r.verifier.Verified() {
		return r.mismatch()
	}
	if r.sink != nil {
		err := r.sink.Commit()
		r.sink = nil
		return err
	}
	return nil
}

// mismatch discards the sink and returns the mismatch error.
func (r *digestReader) mismatch() error {
	if r.sink != nil {
		r.sink.Discard()
		r.sink = nil
	}
	return fmt.Errorf("blob %s: read %d bytes, want %d bytes with that digest: %w",
		r.desc.Digest, r.n, r.desc.Size, ErrDigestMismatch)
}

// Close closes the source; an unfinished sink is discarded.
func (r *digestReader) Close() error {
	if r.sink != nil {
		r.sink.Discard()
		r.sink = nil
	}
	return r.rc.Close()
}
