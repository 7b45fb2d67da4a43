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
	"github.com/ybuild/ybuild/internal/trust"
	"github.com/ybuild/ybuild/registry"
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

// fromCache reports whether desc is a base blob whose local file is the
// blob cache's (a registry base): such files may be linked into outputs.
// A base layout's own files are not: they belong to the user.
func fromCache(img *assemble.Image, desc ocispec.Descriptor) bool {
	o, ok := img.Source(desc).(registry.Origin)
	if !ok {
		return false
	}
	_, ok = o.Origin(desc)
	return ok
}

// cachedVerified reports whether src, desc's file in the blob cache, holds
// its content (trusted, else hashed). A damaged file is removed, so that
// reading the blob downloads it again instead of failing.
func cachedVerified(ctx context.Context, img *assemble.Image, src string, desc ocispec.Descriptor, ts *trust.Store) bool {
	if !fromCache(img, desc) {
		return false
	}
	if ts.Verify(ctx, src, desc) {
		return true
	}
	if ctx.Err() == nil {
		_ = os.Remove(src)
		ts.Forget(desc.Digest)
	}
	return false
}

// writeBlobFile puts the blob desc at path. A file already there is kept
// when it is the build's own file of that blob (a hard link) or holds the
// right content (trusted, else hashed); one that does not is replaced. A
// new layer, or a registry base blob whose blob cache file is verified
// (trusted, else hashed), is hard-linked when it can be; anything else is copied and
// verified. The file appears only complete, by rename.
func writeBlobFile(ctx context.Context, path string, img *assemble.Image, desc ocispec.Descriptor, ts *trust.Store) error {
	src := img.Path(desc)
	linkable := src != "" && (img.Source(desc) == nil || cachedVerified(ctx, img, src, desc, ts))
	if (linkable && blobfile.SameFile(src, path)) || ts.Verify(ctx, path, desc) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if linkable {
		if err := blobfile.LinkReplace(src, path); err == nil {
			ts.Note(path, desc)
			return nil
		}
	}
	err := blobfile.WriteAtomic(path, 0o644, true, func(f *os.File) error {
		return copyVerified(ctx, f, img, desc)
	})
	if err == nil {
		ts.Note(path, desc)
	}
	return err
}
