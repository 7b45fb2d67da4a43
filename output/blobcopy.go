package output

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/resolve"
)

// ErrDigestMismatch is returned when a blob's content does not match its descriptor.
var ErrDigestMismatch = errors.New("blob content does not match its digest")

// copyVerified copies the blob desc from img to w, checking its size and
// digest on the way. A mismatch, found here or by the base's own verifying
// reader, wraps ErrDigestMismatch.
func copyVerified(ctx context.Context, w io.Writer, img *assemble.Image, desc ocispec.Descriptor) error {
	if err := desc.Digest.Validate(); err != nil {
		return fmt.Errorf("blob %q: %w", desc.Digest, err)
	}
	r, err := img.Open(ctx, desc)
	if err != nil {
		return err
	}
	defer r.Close()
	v := desc.Digest.Verifier()
	n, err := io.Copy(io.MultiWriter(w, v), ctxReader{ctx: ctx, r: r})
	if errors.Is(err, resolve.ErrDigestMismatch) {
		// The base's message already names the blob; add only the sentinel.
		return fmt.Errorf("%w%.0w", err, ErrDigestMismatch)
	}
	if err != nil {
		return fmt.Errorf("blob %s: %w", desc.Digest, err)
	}
	if n != desc.Size || !v.Verified() {
		return fmt.Errorf("blob %s: %w (read %d bytes, want %d)", desc.Digest, ErrDigestMismatch, n, desc.Size)
	}
	return nil
}

// hasBlob reports whether path is a regular file holding exactly desc's
// content.
func hasBlob(ctx context.Context, path string, desc ocispec.Descriptor) bool {
	return assemble.VerifyFile(ctx, path, desc)
}

// ctxReader stops reading once ctx is done, so an interrupt ends a long copy.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// writeBlobFile puts the blob desc at path: an existing file that is the
// build's own blob file, or has the right content, is kept (one that does not match is replaced); a new layer
// is hard-linked from the build's work directory when it can be; anything
// else is copied and verified. The file appears only complete, by rename.
func writeBlobFile(ctx context.Context, path string, img *assemble.Image, desc ocispec.Descriptor) error {
	if sameFile(img.Path(desc), path) || hasBlob(ctx, path, desc) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if src := img.Path(desc); src != "" && img.Source(desc) == nil {
		if err := assemble.LinkReplace(src, path); err == nil {
			return nil
		}
	}
	return atomicWrite(path, func(f *os.File) error {
		return copyVerified(ctx, f, img, desc)
	})
}

// sameFile reports whether path is src itself (a hard link of a blob the
// build already verified), so it need not be hashed again.
func sameFile(src, path string) bool {
	if src == "" {
		return false
	}
	a, err := os.Stat(src)
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}

// atomicWrite creates path through a temporary file in the same directory:
// write fills it, and it is renamed into place only when write succeeds.
// The file gets mode 0644.
func atomicWrite(path string, write func(f *os.File) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
