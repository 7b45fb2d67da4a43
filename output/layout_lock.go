package output

import (
	"context"
	"fmt"
	"path/filepath"

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
