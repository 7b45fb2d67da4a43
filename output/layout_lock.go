package output

import (
	"context"
	"fmt"
	"path/filepath"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/ybuild/ybuild/internal/filelock"
)

// indexLockFile is the advisory lock file beside index.json that builds
// hold while they read, change and replace index.json. It exists only
// while a build holds it (or after a killed one, until the next build).
const indexLockFile = "index.json.lock"

// lockIndex takes the lock of the layout dir's index.json, waiting for
// other builds (ctx ends the wait), and returns its release.
func lockIndex(ctx context.Context, dir string) (func() error, error) {
	l, err := filelock.Acquire(ctx, filepath.Join(dir, indexLockFile))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return l.Release, nil
}

// editIndex changes the layout dir's index.json under its lock: it reads
// the index, lets edit change its entries, and replaces the file, so that
// concurrent builds writing other entries keep theirs.
func editIndex(ctx context.Context, dir string, edit func([]ocispec.Descriptor) []ocispec.Descriptor) (err error) {
	unlock, err := lockIndex(ctx, dir)
	if err != nil {
		return err
	}
	defer func() {
		if uerr := unlock(); err == nil {
			err = uerr
		}
	}()
	idx, err := readIndex(dir)
	if err != nil {
		return err
	}
	idx.Manifests = edit(idx.Manifests)
	return writeIndex(dir, idx)
}
