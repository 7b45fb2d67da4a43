package imageio

import (
	"io"

	"github.com/klauspost/compress/zstd"
)

// MaxZstdWindow is the largest window a zstd layer may declare: 128 MiB,
// what `zstd --long` and `--ultra -22` use, far above the 8 MiB of common
// encoders. The decoder allocates the declared window before the first
// byte comes out, and klauspost/compress allows 512 MiB by default, so a
// hostile frame of a few bytes in a base layer or an archive would cost
// that much memory per layer read at once.
const MaxZstdWindow = 128 << 20

// NewZstdReader returns a streaming zstd decoder of r, in the caller's
// goroutine, refusing frames whose window is larger than maxWindow (at
// least 1 KiB; MaxZstdWindow where nothing tighter is known).
func NewZstdReader(r io.Reader, maxWindow uint64) (io.ReadCloser, error) {
	d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxWindow))
	if err != nil {
		return nil, err
	}
	return d.IOReadCloser(), nil
}
