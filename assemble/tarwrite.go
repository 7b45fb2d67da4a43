package assemble

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/ybuild/ybuild/imageio"
)

// writeEntries writes the headers and contents of the sorted entries,
// checking ctx between entries and while copying.
func writeEntries(ctx context.Context, tw *tar.Writer, es []entry, add func(int64)) error {
	buf := make([]byte, 256<<10)
	for i := range es {
		if err := ctx.Err(); err != nil {
			return err
		}
		e := &es[i]
		if err := tw.WriteHeader(header(e)); err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
		if e.kind != tar.TypeReg || e.size == 0 {
			continue
		}
		if err := writeContent(ctx, tw, e, buf, add); err != nil {
			return fmt.Errorf("%s (%s): %w", e.name, e.origin, err)
		}
	}
	return nil
}

// writeContent copies a regular file's content, which must still have the
// size the walk saw.
func writeContent(ctx context.Context, w io.Writer, e *entry, buf []byte, add func(int64)) error {
	if e.content != nil {
		n, err := io.WriteString(w, *e.content)
		add(int64(n))
		return err
	}
	f, err := os.Open(e.src)
	if err != nil {
		return err
	}
	defer f.Close()
	r := reportReader{r: imageio.WithContext(ctx, f), add: add}
	n, err := io.CopyBuffer(w, io.LimitReader(r, e.size), buf)
	if err != nil {
		return err
	}
	if n < e.size {
		return fmt.Errorf("shrank from %d to %d bytes: %w", e.size, n, ErrSourceChanged)
	}
	if m, _ := f.Read(buf[:1]); m > 0 {
		return fmt.Errorf("grew beyond %d bytes: %w", e.size, ErrSourceChanged)
	}
	return nil
}

// reportReader reports the bytes read through it to add.
type reportReader struct {
	r   io.Reader
	add func(int64)
}

// Read reads and reports.
func (c reportReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.add(int64(n))
	}
	return n, err
}

// progress starts progress reporting for the layer's content bytes and
// returns the funcs to report copied bytes and, with the blob's size, the
// end of the layer; without env.Progress both do nothing.
func progress(env LayerEnv, label string, es []entry) (add func(int64), done func(size int64)) {
	if env.Progress == nil {
		return func(int64) {}, func(int64) {}
	}
	var total int64
	for i := range es {
		if es[i].kind == tar.TypeReg {
			total += es[i].size
		}
	}
	return env.Progress(label, total)
}
