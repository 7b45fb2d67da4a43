package imageio

import (
	"context"
	"io"
)

// WithContext returns a reader of r that fails every read once ctx is done,
// so that an interrupt ends a long copy between two reads.
func WithContext(ctx context.Context, r io.Reader) io.Reader {
	return ctxReader{ctx: ctx, r: r}
}

// ctxReader reads from r unless ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

// Read reads unless ctx is done.
func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
