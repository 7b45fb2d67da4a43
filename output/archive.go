package output

import (
	"archive/tar"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/internal/blobfile"
)

// archiveTime is the mtime of every archive entry: the archive's bytes
// depend only on the image.
var archiveTime = time.Unix(0, 0)

// archive writes a deterministic tar: root-owned entries, fixed modes
// (0755 directories, 0644 files) and mtime, in the order they are added.
type archive struct {
	tw *tar.Writer
}

// dir adds a directory entry.
func (a *archive) dir(name string) error {
	return a.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: 0o755, ModTime: archiveTime, Format: tar.FormatPAX})
}

// file adds a regular file with data.
func (a *archive) file(name string, data []byte) error {
	if err := a.header(name, int64(len(data))); err != nil {
		return err
	}
	_, err := a.tw.Write(data)
	return err
}

func (a *archive) header(name string, size int64) error {
	return a.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o644, ModTime: archiveTime, Format: tar.FormatPAX})
}

// blobs adds blobs/ALG/HEX for every descriptor, sorted by digest, each
// verified while it is copied.
func (a *archive) blobs(ctx context.Context, img *assemble.Image, descs []ocispec.Descriptor) error {
	descs = slices.Clone(descs)
	slices.SortFunc(descs, func(x, y ocispec.Descriptor) int { return strings.Compare(string(x.Digest), string(y.Digest)) })
	descs = slices.CompactFunc(descs, func(x, y ocispec.Descriptor) bool { return x.Digest == y.Digest })
	if err := a.dir(ocispec.ImageBlobsDir); err != nil {
		return err
	}
	algs := map[string]bool{}
	for _, d := range descs {
		alg := d.Digest.Algorithm().String()
		if !algs[alg] {
			algs[alg] = true
			if err := a.dir(ocispec.ImageBlobsDir + "/" + alg); err != nil {
				return err
			}
		}
		p, err := imageio.BlobPath(d.Digest)
		if err != nil {
			return err
		}
		if err := a.header(p, d.Size); err != nil {
			return err
		}
		if err := copyVerified(ctx, a.tw, img, d); err != nil {
			return err
		}
	}
	return nil
}

// writeArchive writes a tar to path atomically: fill adds the entries, and
// path is replaced only when it succeeds. The parent directory is created.
func writeArchive(path string, fill func(a *archive) error) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%w: %s is a directory", ErrUsage, path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return blobfile.WriteAtomic(path, 0o644, true, func(f *os.File) error {
		a := &archive{tw: tar.NewWriter(f)}
		if err := fill(a); err != nil {
			return err
		}
		return a.tw.Close()
	})
}

// layoutMarker is the oci-layout file's content.
func layoutMarker() []byte {
	return []byte(`{"imageLayoutVersion":"` + ocispec.ImageLayoutVersion + `"}`)
}
