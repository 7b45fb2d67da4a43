package resolve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/internal/inputerr"
)

// maxJSON bounds the size of every index, manifest and config read into
// memory (index.json, manifest.json, blobs, registry responses): 8 MiB,
// twice what registries accept for a manifest.
const maxJSON = 8 << 20

// openLayoutFile opens name (slash-separated) inside the layout directory
// root for reading. Symlinks may point within the layout but not out of it,
// and the file must be regular: the open does not block on a FIFO and a
// device is refused before anything is read.
func openLayoutFile(root, name string) (*os.File, fs.FileInfo, error) {
	// os.OpenRoot opens root without O_NONBLOCK or O_DIRECTORY: a FIFO
	// named as the layout would block it until a writer came.
	if fi, err := os.Stat(root); err == nil && !fi.IsDir() {
		return nil, nil, &fs.PathError{Op: "open", Path: root, Err: fmt.Errorf("not a directory (%s)", inputerr.FileKind(fi.Mode()))}
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	f, err := r.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	return checkRegular(f, name)
}

// openRegularFile opens a file named by the user (an archive) for reading;
// it must be a regular file, and opening a FIFO does not block.
func openRegularFile(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	return checkRegular(f, path)
}

// checkRegular returns f and its stat when f is a regular file, else
// closes it and fails.
func checkRegular(f *os.File, name string) (*os.File, fs.FileInfo, error) {
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%s: not a regular file (%s)", name, inputerr.FileKind(fi.Mode()))
	}
	return f, fi, nil
}

// readSmall reads all of r, failing when it holds more than maxJSON bytes.
func readSmall(ctx context.Context, r io.Reader, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(imageio.WithContext(ctx, r), maxJSON+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxJSON {
		return nil, fmt.Errorf("%s: %w: larger than %d bytes", name, ErrInvalidBase, maxJSON)
	}
	return data, nil
}

// localBlobPath is imageio.BlobPath for a local base: a malformed digest
// makes the base invalid.
func localBlobPath(d digest.Digest) (string, error) {
	p, err := imageio.BlobPath(d)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidBase, err)
	}
	return p, nil
}

// verifyLocal is imageio.Verify for a blob of a local base (layout or
// archive): there a malformed descriptor or content that does not match
// it makes the base invalid (exit 2), not the transfer.
func verifyLocal(rc io.ReadCloser, desc ocispec.Descriptor) (io.ReadCloser, error) {
	r, err := imageio.Verify(rc, desc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidBase, err)
	}
	return localReader{r}, nil
}

// localReader adds ErrInvalidBase to a local blob's mismatch errors.
type localReader struct {
	io.ReadCloser
}

// Read reads, marking mismatches.
func (r localReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	return n, markInvalid(err)
}

// Close closes, marking mismatches.
func (r localReader) Close() error {
	return markInvalid(r.ReadCloser.Close())
}

// markInvalid wraps a digest mismatch with ErrInvalidBase.
func markInvalid(err error) error {
	if err != nil && errors.Is(err, imageio.ErrDigestMismatch) && !errors.Is(err, ErrInvalidBase) {
		return fmt.Errorf("%w: %w", ErrInvalidBase, err)
	}
	return err
}
