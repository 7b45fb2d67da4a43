package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/ybuild/ybuild/cache"
	"github.com/ybuild/ybuild/internal/filelock"
	"github.com/ybuild/ybuild/output"
)

// workPrefix names ybuild's work directories (beside the first local
// output, else in the system temp directory).
const workPrefix = ".ybuild-work-"

// reclaimStale removes what killed builds left behind: their work
// directories (with their layer and extract spool files), their partial
// archives and layout directories beside this build's outputs, partial
// blobs and index.json inside existing layouts (only names ybuild uses, so
// another tool's files there are left alone), and partial blobs and
// records in the cache. Live builds hold locks on theirs, which are left
// alone; so is everything when ctx ends. Failures are not errors: the
// junk stays for the next build or `cache prune`.
func reclaimStale(ctx context.Context, writers []output.Writer, cacheDir string) {
	parent, _ := workParentDir(writers)
	sweep(ctx, parent, func(n string) bool { return strings.HasPrefix(n, workPrefix) })
	for _, w := range writers {
		h := w.Holds()
		if h.Path == "" {
			continue
		}
		base := "." + filepath.Base(h.Path) + ".tmp-"
		sweep(ctx, filepath.Dir(h.Path), func(n string) bool { return strings.HasPrefix(n, base) })
		if strings.HasPrefix(h.Dest, "oci:") {
			sweep(ctx, h.Path, isLayoutTemp)
			sweep(ctx, filepath.Join(h.Path, "blobs", "sha256"), isBlobTemp)
		}
	}
	if cacheDir != "" {
		cache.Sweep(ctx, cacheDir)
	}
}

// sweep runs filelock.Sweep, ignoring its errors (see reclaimStale).
func sweep(ctx context.Context, dir string, match func(string) bool) {
	_, _ = filelock.Sweep(ctx, dir, match)
}

// isLayoutTemp matches the temporary files ybuild writes at a layout's
// root (and no other tool's).
func isLayoutTemp(n string) bool {
	return strings.HasPrefix(n, ".index.json.tmp-") || strings.HasPrefix(n, ".oci-layout.tmp-")
}

// blobTemp matches the temporary files ybuild writes in blobs/sha256.
var blobTemp = regexp.MustCompile(`^\.[0-9a-f]{64}\.tmp-`)

// isBlobTemp matches the temporary blob files ybuild writes in a layout.
func isBlobTemp(n string) bool { return blobTemp.MatchString(n) }

// workParentDir is the directory the work area goes in, without creating
// it: beside the first local output, else the system temp directory.
func workParentDir(writers []output.Writer) (string, bool) {
	for _, w := range writers {
		if p := w.Holds().Path; p != "" {
			return filepath.Dir(p), true
		}
	}
	return os.TempDir(), false
}
