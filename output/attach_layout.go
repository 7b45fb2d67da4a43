package output

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/imageio"
)

var (
	_ AttachWriter = (*layoutWriter)(nil)
	_ AttachWriter = (*ociArchiveWriter)(nil)
)

// WriteAttached writes img, then the attachments' blobs, then index.json
// listing them (each step atomic, as Write is).
func (w *layoutWriter) WriteAttached(ctx context.Context, img *assemble.Image, atts []Attachment) (Result, error) {
	res, err := w.Write(ctx, img)
	if err != nil || len(atts) == 0 {
		return res, err
	}
	if err := attachLayout(ctx, w.dir, img, res.Ref, atts); err != nil {
		return Result{}, fmt.Errorf("%s: attachments: %w", w.dest, err)
	}
	return res, nil
}

// attachLayout adds atts to the layout in dir that holds img under ref:
// blobs first, then index.json (editIndex).
func attachLayout(ctx context.Context, dir string, img *assemble.Image, ref string, atts []Attachment) error {
	for _, b := range attachedBlobs(atts) {
		if err := ctx.Err(); err != nil {
			return err
		}
		bdir := filepath.Join(dir, ocispec.ImageBlobsDir, b.desc.Digest.Algorithm().String())
		if err := mkdir(bdir); err != nil {
			return err
		}
		if err := writeBlobFile(ctx, filepath.Join(bdir, b.desc.Digest.Encoded()), b.img, b.desc, nil); err != nil { // small documents: hashed
			return err
		}
	}
	return editIndex(ctx, dir, func(ms []ocispec.Descriptor) []ocispec.Descriptor {
		return withAttached(ms, img, ref, atts)
	})
}

// WriteAttached writes a new archive holding img and atts.
func (w *ociArchiveWriter) WriteAttached(ctx context.Context, img *assemble.Image, atts []Attachment) (Result, error) {
	return w.write(ctx, img, atts)
}

// archiveAttachments adds the attachments' blobs that img does not hold,
// in digest order, each once.
func (a *archive) attachments(img *assemble.Image, atts []Attachment) error {
	blobs := attachedBlobs(atts)
	slices.SortFunc(blobs, func(x, y attachedBlob) int { return strings.Compare(string(x.desc.Digest), string(y.desc.Digest)) })
	done := map[string]bool{}
	for _, d := range img.Blobs() {
		done[d.Digest.String()] = true
	}
	for _, b := range blobs {
		if done[b.desc.Digest.String()] {
			continue
		}
		done[b.desc.Digest.String()] = true
		data := b.img.Bytes(b.desc)
		if data == nil {
			return fmt.Errorf("attachment blob %s: %w", b.desc.Digest, assemble.ErrUnknownBlob)
		}
		p, err := imageio.BlobPath(b.desc.Digest)
		if err != nil {
			return err
		}
		if err := a.file(p, data); err != nil {
			return err
		}
	}
	return nil
}
