package output

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/internal/blobfile"
	"github.com/ybuild/ybuild/internal/filelock"
	"github.com/ybuild/ybuild/internal/trust"
	"github.com/ybuild/ybuild/location"
)

// layoutWriter writes oci:DIR[:REF].
type layoutWriter struct {
	dest string
	dir  string
	ref  string
	opts Options
}

var _ Writer = (*layoutWriter)(nil)

func init() {
	register(location.OCI, func(dest string, loc location.Location, opts Options) (Writer, error) {
		return &layoutWriter{dest: dest, dir: loc.Path, ref: loc.Ref, opts: opts}, nil
	})
}

// Holds reports the layout directory; a layout holds any number of platforms.
func (w *layoutWriter) Holds() Holds { return Holds{Dest: w.dest, Path: w.dir, Name: "an OCI layout"} }

// Write adds img to the layout under its ref, replacing an entry with the
// same ref and keeping the others. A new layout is built beside DIR and
// renamed into place; in an existing one the blobs are written first and
// index.json is replaced last, by rename.
func (w *layoutWriter) Write(ctx context.Context, img *assemble.Image) (Result, error) {
	ref := layoutRef(w.ref, w.opts.Tags)
	res := Result{Dest: w.dest, Ref: ref, Digest: img.Desc.Digest}
	exists, err := isLayout(w.dir)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", w.dest, err)
	}
	if !exists {
		err = newLayout(ctx, w.dir, img, ref, w.opts.Trust)
	}
	if exists || errors.Is(err, errLayoutAppeared) {
		err = updateLayout(ctx, w.dir, img, ref, w.opts.Trust)
	}
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", w.dest, err)
	}
	return res, nil
}

// isLayout reports whether dir is an OCI layout. A missing or empty
// directory is not; any other directory or file is an error, so that
// ybuild never writes into something it did not make.
func isLayout(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if len(entries) == 0 {
		return false, nil
	}
	if _, err := os.Stat(filepath.Join(dir, ocispec.ImageLayoutFile)); err != nil {
		return false, fmt.Errorf("%w: %s exists and is not an OCI layout (no %s); remove it or choose another directory", ErrUsage, dir, ocispec.ImageLayoutFile)
	}
	return true, nil
}

// newLayout writes a complete layout in a temporary directory beside dir
// and renames it to dir.
func newLayout(ctx context.Context, dir string, img *assemble.Image, ref string, ts *trust.Store) (err error) {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	held, err := filelock.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := held.Path
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
		held.Close() // after the rename: a sweep sees the temporary directory locked
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := writeLayoutFile(tmp); err != nil {
		return err
	}
	if err := writeBlobs(ctx, tmp, img, ts); err != nil {
		return err
	}
	idx := newIndex(entryFor(img.Desc, map[string]string{annotationRefName: ref}))
	if err := writeIndex(tmp, idx); err != nil {
		return err
	}
	os.Remove(dir) // an empty directory; rename would replace it anyway
	if err := os.Rename(tmp, dir); err != nil {
		if ok, _ := isLayout(dir); ok {
			return errLayoutAppeared // a concurrent build made it first
		}
		return err
	}
	return nil
}

// errLayoutAppeared is newLayout's answer when a concurrent build created
// the layout first: the image is then added to it by updateLayout.
var errLayoutAppeared = errors.New("layout created concurrently")

// updateLayout writes the blobs into an existing layout, then replaces
// index.json under its lock (editIndex) with one whose entry for ref is
// img: concurrent builds writing other refs keep theirs.
func updateLayout(ctx context.Context, dir string, img *assemble.Image, ref string, ts *trust.Store) error {
	if _, err := readIndex(dir); err != nil {
		return err // not a complete layout: write nothing into it
	}
	if err := writeBlobs(ctx, dir, img, ts); err != nil {
		return err
	}
	return editIndex(ctx, dir, func(ms []ocispec.Descriptor) []ocispec.Descriptor {
		return replaceRef(ms, entryFor(img.Desc, map[string]string{annotationRefName: ref}), ref)
	})
}

// writeLayoutFile writes the oci-layout marker, mode 0644 whatever the umask.
func writeLayoutFile(dir string) error {
	data, err := json.Marshal(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion})
	if err != nil {
		return err
	}
	return blobfile.WriteAtomic(filepath.Join(dir, ocispec.ImageLayoutFile), 0o644, true, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// writeBlobs writes every blob of img into dir/blobs/ALG/HEX.
func writeBlobs(ctx context.Context, dir string, img *assemble.Image, ts *trust.Store) error {
	blobs := filepath.Join(dir, ocispec.ImageBlobsDir)
	if err := mkdir(blobs); err != nil {
		return err
	}
	made := map[string]bool{}
	for _, d := range img.Blobs() {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, err := imageio.BlobPath(d.Digest)
		if err != nil {
			return fmt.Errorf("blob %q: %w", d.Digest, err)
		}
		p = filepath.Join(dir, filepath.FromSlash(p))
		if bdir := filepath.Dir(p); !made[bdir] {
			if err := mkdir(bdir); err != nil {
				return err
			}
			made[bdir] = true
		}
		if err := writeBlobFile(ctx, p, img, d, ts); err != nil {
			return err
		}
	}
	return nil
}

// mkdir creates the directory path with mode 0755 whatever the umask; an
// existing directory is kept as it is.
func mkdir(path string) error {
	if err := os.Mkdir(path, 0o755); err != nil {
		if fi, serr := os.Stat(path); serr == nil && fi.IsDir() {
			return nil
		}
		return err
	}
	return os.Chmod(path, 0o755)
}
