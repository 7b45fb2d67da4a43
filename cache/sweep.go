package cache

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/ybuild/ybuild/internal/filelock"
)

// cacheTempDirs are the cache's directories that hold temporary files.
var cacheTempDirs = []string{"refs", "layers", "shapes", filepath.Join("blobs", "sha256")}

// Sweep removes from the cache at dir the temporary files of builds
// that were killed: partial blobs (.tmp-<digest>-*) and half-written
// records (.<name>.tmp-*). Files of live builds are locked and stay (see
// filelock). It is self-contained so that it moves with the cache code.
func Sweep(ctx context.Context, dir string) (filelock.Swept, error) {
	var st filelock.Swept
	for _, sub := range cacheTempDirs {
		s, err := filelock.Sweep(ctx, filepath.Join(dir, sub), isCacheTemp)
		st.Add(s)
		if err != nil {
			return st, err
		}
	}
	return st, nil
}

// isCacheTemp matches the cache's temporary file names.
func isCacheTemp(name string) bool {
	return strings.HasPrefix(name, ".tmp-") || (strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-"))
}
