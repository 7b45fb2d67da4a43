package output

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/internal/blobfile"
)

// copyVerified copies the blob desc from img to w, checking its size and
// digest on the way; a mismatch wraps imageio.ErrDigestMismatch. The copy
// stops when ctx is done. A base layer is also checked against the
// diff_id its config gives it.
func copyVerified(ctx context.Context, w io.Writer, img *assemble.Image, desc ocispec.Descriptor) error {
	if err := imageio.CheckDescriptor(desc); err != nil {
		return fmt.Errorf("blob %q: %w", desc.Digest, err)
	}
	r, err := img.Open(ctx, desc)
	if err != nil {
		return err
	}
	v := imageio.NewReader(r, desc)
	defer v.Close()
	var check *diffIDCheck
	if want, ok := baseDiffID(img, desc); ok {
		check = newDiffIDCheck(desc, want)
		w = io.MultiWriter(w, check)
	}
	_, err = io.Copy(w, imageio.WithContext(ctx, v))
	if check != nil {
		err = check.finish(err)
	}
	if err != nil {
		if errors.Is(err, imageio.ErrDigestMismatch) {
			return err // the message names the blob
		}
		return fmt.Errorf("blob %s: %w", desc.Digest, err)
	}
	return nil
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
