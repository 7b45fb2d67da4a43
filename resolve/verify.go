package resolve

import (
	"errors"
	"fmt"
	"io"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// verifier reads at most desc.Size bytes and fails the read that completes
// the content unless it matches desc's digest, and any read past it if the
// content is longer.
type verifier struct {
	r        io.Reader
	c        io.Closer
	desc     ocispec.Descriptor
	digester digest.Digester
	n        int64
	checked  bool
	err      error
}

// verify wraps rc so that reading it checks desc's digest and size. It
// closes rc and fails when desc's digest is malformed.
func verify(rc io.ReadCloser, desc ocispec.Descriptor) (io.ReadCloser, error) {
	if err := checkDescriptor(desc); err != nil {
		rc.Close()
		return nil, err
	}
	return &verifier{r: rc, c: rc, desc: desc, digester: desc.Digest.Algorithm().Digester()}, nil
}

// checkDescriptor rejects a descriptor whose digest cannot be verified.
func checkDescriptor(desc ocispec.Descriptor) error {
	if err := desc.Digest.Validate(); err != nil {
		return fmt.Errorf("descriptor %q: %w", desc.Digest, err)
	}
	if desc.Size < 0 {
		return fmt.Errorf("descriptor %s: negative size %d", desc.Digest, desc.Size)
	}
	return nil
}

// Read implements io.Reader.
func (v *verifier) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	if v.n >= v.desc.Size {
		return 0, v.atEnd()
	}
	if rest := v.desc.Size - v.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := v.r.Read(p)
	v.digester.Hash().Write(p[:n])
	v.n += int64(n)
	if v.n == v.desc.Size {
		if cerr := v.check(); cerr != nil {
			return n, cerr
		}
	}
	if errors.Is(err, io.EOF) && v.n < v.desc.Size {
		v.err = fmt.Errorf("blob %s: %d of %d bytes: %w", v.desc.Digest, v.n, v.desc.Size, ErrDigestMismatch)
		return n, v.err
	}
	return n, err
}

// atEnd checks the digest (for empty blobs) and that no bytes follow.
func (v *verifier) atEnd() error {
	if err := v.check(); err != nil {
		return err
	}
	var b [1]byte
	for {
		n, err := v.r.Read(b[:])
		if n > 0 {
			v.err = fmt.Errorf("blob %s: longer than %d bytes: %w", v.desc.Digest, v.desc.Size, ErrDigestMismatch)
			return v.err
		}
		if err != nil {
			return err
		}
	}
}

// check compares the digest once all desc.Size bytes are read.
func (v *verifier) check() error {
	if v.checked {
		return v.err
	}
	v.checked = true
	if got := v.digester.Digest(); got != v.desc.Digest {
		v.err = fmt.Errorf("blob %s: got %s: %w", v.desc.Digest, got, ErrDigestMismatch)
	}
	return v.err
}

// Close closes the underlying reader; it returns the verification error, if any.
func (v *verifier) Close() error {
	cerr := v.c.Close()
	if v.err != nil {
		return v.err
	}
	return cerr
}
