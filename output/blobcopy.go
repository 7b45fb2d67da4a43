package output

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/internal/blobfile"
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
	if blobfile.SameFile(img.Path(desc), path) || blobfile.Verify(ctx, path, desc) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if src := img.Path(desc); src != "" && img.Source(desc) == nil {
		if err := blobfile.LinkReplace(src, path); err == nil {
			return nil
		}
	}
	return blobfile.WriteAtomic(path, 0o644, true, func(f *os.File) error {
		return copyVerified(ctx, f, img, desc)
	})
}
