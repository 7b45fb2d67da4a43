// Package blobfile holds the file operations that the blob stores share:
// the cache (package cache) and OCI layouts (output). Files appear only
// whole, by rename; blobs are checked against their descriptors.
package blobfile

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/internal/filelock"
)

// Verify reports whether path is a regular file holding exactly desc's
// content (size and digest). It stops early when ctx is done.
func Verify(ctx context.Context, path string, desc ocispec.Descriptor) bool {
	if imageio.CheckDescriptor(desc) != nil {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != desc.Size {
		return false
	}
	_, err = io.Copy(io.Discard, imageio.WithContext(ctx, imageio.NewReader(f, desc)))
	return err == nil
}

// SameFile reports whether a and b both exist and are one file (hard links).
func SameFile(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}

// linkSeq makes temporary link names unique within the process.
var linkSeq atomic.Int64

// LinkReplace hard-links src at path through a uniquely named temporary
// link renamed into place, replacing a file already there (it may be a
// damaged copy); path already being src is a no-op.
func LinkReplace(src, path string) error {
	if SameFile(src, path) {
		return nil
	}
	tmp := fmt.Sprintf("%s.link-%d-%d", path, os.Getpid(), linkSeq.Add(1))
	if err := os.Link(src, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// WriteAtomic creates path through a temporary file in the same directory:
// write fills it, it gets mode perm (whatever the umask) and, with sync,
// is flushed to disk; it is renamed into place only when all of that
// succeeded, and removed otherwise. The temporary file stays locked until
// it is renamed (see filelock.CreateTemp), so that a sweep by another
// build removes it only after this process died.
func WriteAtomic(path string, perm fs.FileMode, sync bool, write func(f *os.File) error) (err error) {
	f, err := filelock.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if sync {
		if err = f.Sync(); err != nil {
			return err
		}
	}
	return os.Rename(f.Name(), path)
}

// WriteFileAtomic writes data to path with WriteAtomic, without syncing.
func WriteFileAtomic(path string, perm fs.FileMode, data []byte) error {
	return WriteAtomic(path, perm, false, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}
