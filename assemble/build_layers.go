package assemble

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/ybuild/ybuild/resolve"
	"github.com/ybuild/ybuild/spec"
)

// layerWriter writes spec layers, each distinct (substituted) layer once
// per build, so that platforms with identical layers share their blobs.
type layerWriter struct {
	env   LayerEnv
	limit int
	mu    sync.Mutex
	calls map[string]*layerCall
}

// layerCall is one layer write, shared by every request for the same layer.
type layerCall struct {
	done  chan struct{}
	layer Layer
	err   error
}

// newLayerWriter returns a writer with the build's layer environment.
func newLayerWriter(b *spec.Build, base *resolve.Base, opts Options) *layerWriter {
	return &layerWriter{
		env: LayerEnv{
			Dir:            b.Dir,
			Created:        opts.Created,
			Compression:    b.Compression,
			Format:         b.Format,
			BlobDir:        opts.BlobDir,
			Scratch:        isScratch(base),
			DefaultDirMode: b.Defaults.DirMode,
			Progress:       opts.Progress,
		},
		limit: opts.Concurrency,
		calls: map[string]*layerCall{},
	}
}

// isScratch reports whether base is scratch: no digest and no layers.
func isScratch(base *resolve.Base) bool {
	if base.Digest != "" {
		return false
	}
	for _, im := range base.Images {
		if len(im.Manifest.Layers) > 0 {
			return false
		}
	}
	return true
}

// writeAll writes layers concurrently, at most limit at once, and returns
// them in order. The first error cancels the others.
func (w *layerWriter) writeAll(ctx context.Context, layers []spec.Layer) ([]Layer, error) {
	out := make([]Layer, len(layers))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(w.limit)
	for i, l := range layers {
		g.Go(func() error {
			r, err := w.write(gctx, l)
			if err != nil {
				return fmt.Errorf("layers[%d]: %w", i, err)
			}
			out[i] = r
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// write writes l, or waits for the write of an identical layer.
func (w *layerWriter) write(ctx context.Context, l spec.Layer) (Layer, error) {
	if err := ctx.Err(); err != nil {
		return Layer{}, err
	}
	key, err := json.Marshal(l)
	if err != nil {
		return Layer{}, fmt.Errorf("layer key: %w", err)
	}
	w.mu.Lock()
	c, ok := w.calls[string(key)]
	if !ok {
		c = &layerCall{done: make(chan struct{})}
		w.calls[string(key)] = c
	}
	w.mu.Unlock()
	if !ok {
		c.layer, c.err = WriteLayer(ctx, l, w.env)
		close(c.done)
	}
	select {
	case <-c.done:
		return c.layer, c.err
	case <-ctx.Done():
		return Layer{}, ctx.Err()
	}
}
