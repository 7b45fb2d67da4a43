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
	above *dirSet // scratch: the image's directories after this layer
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
	ids, err := configDiffIDs(bi.Config)
	if err != nil {
		return nil, err
	}
	return baseDirs(ctx, base.Blobs, bi.Manifest.Layers, ids, want)
}

// writeAll writes layers concurrently, at most limit at once, and returns
// them in order; dirs are the base's replace directories (layerEnv.baseDirs).
// On scratch the layers form a stack (stack.go): each one's implicit
// ancestors wait for the directories of the layers below. The first error
// cancels the others. Progress lines name the platform: "app (linux/arm64)".
func (w *layerWriter) writeAll(ctx context.Context, layers []spec.Layer, dirs map[string]dirAttrs, platform string) ([]layerBlob, error) {
	calls, fresh, err := w.callsFor(layers, dirs)
	if err != nil {
		return nil, err
	}
	out := make([]layerBlob, len(layers))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(w.limit)
	for i := range layers {
		g.Go(func() error {
			r, err := w.run(gctx, layers, i, dirs, platform, calls, fresh[i])
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

// run writes layer i when fresh (below the directories of calls[i-1] on
// scratch), then waits for calls[i]'s result.
func (w *layerWriter) run(ctx context.Context, layers []spec.Layer, i int, dirs map[string]dirAttrs, platform string, calls []*layerCall, fresh bool) (layerBlob, error) {
	c := calls[i]
	if fresh {
		var below *dirSet
		if i > 0 {
			below = calls[i-1].above
		}
		env := w.env
		env.baseDirs = dirs
		env.Progress = forPlatform(env.Progress, platform)
		c.layer, c.err = writeStacked(ctx, layers[i], env, below, c.above)
		close(c.done)
	}
	select {
	case <-c.done:
		return c.layer, c.err
	case <-ctx.Done():
		return layerBlob{}, ctx.Err()
	}
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

// callsFor returns the write of each layer, shared with every earlier
// request for an identical layer (another platform's): the same spec layer
// over the same base directories and, on scratch, over the same spec
// layers below. fresh[i] is set for the writes this call must do.
func (w *layerWriter) callsFor(layers []spec.Layer, dirs map[string]dirAttrs) ([]*layerCall, []bool, error) {
	calls, fresh := make([]*layerCall, len(layers)), make([]bool, len(layers))
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, l := range layers {
		var k any = l
		if w.env.scratch {
			k = layers[:i+1]
		}
		key, err := json.Marshal(struct {
			L any
			D map[string]dirAttrs
		}{k, dirs})
		if err != nil {
			return nil, nil, fmt.Errorf("layer key: %w", err)
		}
		c, ok := w.calls[string(key)]
		if !ok {
			c = &layerCall{done: make(chan struct{})}
			if w.env.scratch {
				c.above = newDirSet()
			}
			w.calls[string(key)] = c
		}
		calls[i], fresh[i] = c, !ok
	}
	return calls, fresh, nil
}
