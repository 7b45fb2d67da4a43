package output

import (
	"context"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/location"
)

// ociArchiveWriter writes oci-archive:FILE[:REF]: an OCI layout in a tar.
type ociArchiveWriter struct {
	dest string
	path string
	ref  string
	opts Options
}

var _ Writer = (*ociArchiveWriter)(nil)

func init() {
	register(location.OCIArchive, func(dest string, loc location.Location, opts Options) (Writer, error) {
		return &ociArchiveWriter{dest: dest, path: loc.Path, ref: loc.Ref, opts: opts}, nil
	})
}

// Holds reports the archive file; an OCI archive holds any number of platforms.
func (w *ociArchiveWriter) Holds() Holds {
	return Holds{Dest: w.dest, Path: w.path, Name: "an OCI archive"}
}

// Write writes a new archive holding img under its ref, replacing FILE
// atomically.
func (w *ociArchiveWriter) Write(ctx context.Context, img *assemble.Image) (Result, error) {
	return w.write(ctx, img, nil)
}

// write writes the archive with img and the attachments atts.
func (w *ociArchiveWriter) write(ctx context.Context, img *assemble.Image, atts []Attachment) (Result, error) {
	ref := layoutRef(w.ref, w.opts.Tags)
	entries := []ocispec.Descriptor{entryFor(img.Desc, map[string]string{annotationRefName: ref})}
	idx, err := indexBytes(newIndex(withAttached(entries, img, ref, atts)...))
	if err != nil {
		return Result{}, err
	}
	// Entries in name order: blobs/…, index.json, oci-layout.
	err = writeArchive(w.path, func(a *archive) error {
		if err := a.blobs(ctx, img, img.Blobs()); err != nil {
			return err
		}
		if err := a.attachments(img, atts); err != nil {
			return err
		}
		if err := a.file(indexFile, idx); err != nil {
			return err
		}
		return a.file(ocispec.ImageLayoutFile, layoutMarker())
	})
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", w.dest, err)
	}
	return Result{Dest: w.dest, Ref: ref, Digest: img.Desc.Digest}, nil
}
