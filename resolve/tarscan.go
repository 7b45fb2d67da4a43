package resolve

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/ybuild/ybuild/imageio"
)

// scanTar indexes the regular files of a tar archive by cleaned name,
// recording where each one's data starts, without extracting anything.
func scanTar(ctx context.Context, file string) (*tarSource, error) {
	f, _, err := openRegularFile(file)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidBase, err)
	}
	defer f.Close()
	if err := checkUncompressed(f, file); err != nil {
		return nil, err
	}
	members := map[string]member{}
	tr := tar.NewReader(f)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: read tar: %w", ErrInvalidBase, file, err)
		}
		if h.Typeflag != tar.TypeReg || isSparse(h) {
			continue
		}
		off, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		members[cleanName(h.Name)] = member{off: off, size: h.Size}
	}
	return &tarSource{file: file, members: members}, nil
}

// checkUncompressed refuses gzip and zstd compressed archives and rewinds f.
func checkUncompressed(f *os.File, file string) error {
	var magic [imageio.MagicLen]byte
	n, _ := io.ReadFull(f, magic[:])
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if c := imageio.Sniff(magic[:n]); c == imageio.Gzip || c == imageio.Zstd {
		return fmt.Errorf("%s: %w: compressed archive, decompress it first", file, ErrUnsupported)
	}
	return nil
}

// isSparse reports whether h is a sparse file, whose data is not stored contiguously.
func isSparse(h *tar.Header) bool {
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// cleanName normalizes a member name: no leading ./ or /, cleaned.
func cleanName(name string) string {
	return strings.TrimPrefix(path.Clean("/"+name), "/")
}
