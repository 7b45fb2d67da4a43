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
	env   layerEnv
	limit int
	mu    sync.Mutex
	calls map[string]*layerCall
}

// layerCall is one layer write, shared by every request for the same layer.
type layerCall struct {
	done  chan struct{}
	layer layerBlob
	err   error
}

// newLayerWriter returns a writer with the build's layer environment.
func newLayerWriter(b *spec.Build, base *resolve.Base, opts Options) (*layerWriter, error) {
	env, err := newLayerEnv(b, opts, isScratch(base))
	if err != nil {
		return nil, err
	}
	return &layerWriter{env: env, limit: opts.Concurrency, calls: map[string]*layerCall{}}, nil
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

// baseDirs returns the attributes of the layers' replace directories in
// the platform's base image; it reads base layers only when a layer
// replaces a directory on a base that is not scratch.
func (w *layerWriter) baseDirs(ctx context.Context, base *resolve.Base, bi resolve.Image, layers []spec.Layer) (map[string]dirAttrs, error) {
	if w.env.scratch {
		return nil, nil
	}
	want, err := replaceDirs(layers)
	if err != nil || len(want) == 0 {
		return nil, err
	}
	return baseDirs(ctx, base.Blobs, bi.Manifest.Layers, want)
}

// writeAll writes layers concurrently, at most limit at once, and returns
// them in order; dirs are the base's replace directories (layerEnv.baseDirs).
// The first error cancels the others.
// Progress lines name the platform: "app (linux/arm64)".
func (w *layerWriter) writeAll(ctx context.Context, layers []spec.Layer, dirs map[string]dirAttrs, platform string) ([]layerBlob, error) {
	out := make([]layerBlob, len(layers))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(w.limit)
	for i, l := range layers {
		g.Go(func() error {
			r, err := w.write(gctx, l, dirs, platform)
			if err != nil {
				return &layerError{index: i, err: err}
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

// forPlatform returns p with the platform added to every name; nil stays nil.
func forPlatform(p resolve.Progress, platform string) resolve.Progress {
	if p == nil {
		return nil
	}
	return func(name string, total int64) (func(int64), func(int64)) {
		return p(name+" ("+platform+")", total)
	}
}

// write writes l, or waits for the write of an identical layer (the same
// spec layer over the same base directories).
func (w *layerWriter) write(ctx context.Context, l spec.Layer, dirs map[string]dirAttrs, platform string) (layerBlob, error) {
	if err := ctx.Err(); err != nil {
		return layerBlob{}, err
	}
	key, err := json.Marshal(struct {
		L spec.Layer
		D map[string]dirAttrs
	}{l, dirs})
	if err != nil {
		return layerBlob{}, fmt.Errorf("layer key: %w", err)
	}
	w.mu.Lock()
	c, ok := w.calls[string(key)]
	if !ok {
		c = &layerCall{done: make(chan struct{})}
		w.calls[string(key)] = c
	}
	w.mu.Unlock()
	if !ok {
		env := w.env
		env.baseDirs = dirs
		env.Progress = forPlatform(env.Progress, platform)
		c.layer, c.err = writeLayer(ctx, l, env)
		close(c.done)
	}
	select {
	case <-c.done:
		return c.layer, c.err
	case <-ctx.Done():
		return layerBlob{}, ctx.Err()
	}
}
