package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"

	"github.com/ybuild/ybuild/internal/trust"
)

// newCacheVerifyCmd hashes every cached blob, removes damaged ones and
// records the good ones as verified.
func newCacheVerifyCmd(stdout io.Writer) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Hash every cached blob, remove damaged ones",
		Long: "Reads every blob in the cache and checks it against its digest, whatever\n" +
			"the records of earlier checks say. A damaged blob is removed (the next build\n" +
			"downloads or rebuilds it); a good one is recorded as verified, so builds do\n" +
			"not hash it again while it is unchanged. Builds check the same way with\n" +
			"--verify-blobs.",
		Example: "  ybuild cache verify\n  ybuild cache verify --cache-dir /ci/cache",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if dir == "" {
				var err error
				if dir, err = defaultCacheDir(); err != nil {
					return usageError{err}
				}
			}
			st, err := verifyCache(c.Context(), dir)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(stdout, "%s: %d blobs verified (%s), %d damaged removed\n",
				dir, st.good, humanBytes(st.goodBytes), st.bad)
			return err
		},
	}
	cmd.Flags().StringVar(&dir, "cache-dir", "", "the cache directory (default $XDG_CACHE_HOME/ybuild, else ~/.cache/ybuild)")
	return cmd
}

// verifyStats counts what verifyCache found.
type verifyStats struct {
	good, bad int
	goodBytes int64
}

// verifyCache hashes every blob under dir/blobs/<alg>/<hex>; a damaged one
// (or one whose name is no digest) is removed and its record forgotten.
func verifyCache(ctx context.Context, dir string) (verifyStats, error) {
	var st verifyStats
	ts := trust.New(dir, true)
	root := filepath.Join(dir, "blobs")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name()[0] == '.' { // temp files belong to running builds
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		desc := ocispec.Descriptor{Digest: digest.NewDigestFromEncoded(digest.Algorithm(filepath.Base(filepath.Dir(p))), d.Name()), Size: fi.Size()}
		if desc.Digest.Validate() == nil && ts.Verify(ctx, p, desc) {
			st.good, st.goodBytes = st.good+1, st.goodBytes+fi.Size()
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		ts.Forget(desc.Digest)
		st.bad++
		return os.Remove(p)
	})
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	flushTrust(ts)
	return st, err
}
