package assemble

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
)

// open returns a reader of the blob from wherever it lives.
func (b blob) open(ctx context.Context) (io.ReadCloser, error) {
	switch {
	case b.data != nil:
		return io.NopCloser(bytes.NewReader(b.data)), nil
	case b.path != "":
		f, err := os.Open(b.path)
		if err != nil {
			return nil, fmt.Errorf("open blob %s: %w", b.desc.Digest, err)
		}
		return f, nil
	case b.base != nil:
		return b.base.Open(ctx, b.desc)
	}
	return nil, fmt.Errorf("blob %s: %w", b.desc.Digest, ErrUnknownBlob)
}
