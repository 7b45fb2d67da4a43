package main

import (
	"context"
	"strings"
	"sync"

	"github.com/containerd/platforms"

	"github.com/ybuild/ybuild/location"
	"github.com/ybuild/ybuild/resolve"
)

// baseMemo resolves each distinct base once per call: specs that share a
// base (same reference, directory for local paths, and platforms) share
// the resolved *resolve.Base, which is read-only once opened.
type baseMemo struct {
	mu sync.Mutex
	m  map[string]*memoEntry
}

// memoEntry is one base being or done resolving.
type memoEntry struct {
	done chan struct{}
	base *resolve.Base
	err  error
}

// newBaseMemo returns an empty memo.
func newBaseMemo() *baseMemo { return &baseMemo{m: map[string]*memoEntry{}} }

// open resolves ref with opts, or waits for and returns the result of the
// call that already did.
func (bm *baseMemo) open(ctx context.Context, ref string, opts resolve.Options) (*resolve.Base, error) {
	key := memoKey(ref, opts)
	bm.mu.Lock()
	e, ok := bm.m[key]
	if !ok {
		e = &memoEntry{done: make(chan struct{})}
		bm.m[key] = e
	}
	bm.mu.Unlock()
	if ok {
		select {
		case <-e.done:
			return e.base, e.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	e.base, e.err = resolve.Open(ctx, ref, opts)
	close(e.done)
	return e.base, e.err
}

// memoKey identifies a base: the reference, the directory relative paths
// are resolved in (only for local ones), and the platform selection.
func memoKey(ref string, opts resolve.Options) string {
	var b strings.Builder
	b.WriteString(ref)
	if isLocalBase(ref) {
		b.WriteString("\x00" + opts.Dir)
	}
	if opts.AllPlatforms {
		b.WriteString("\x00all")
	}
	for _, p := range opts.Platforms {
		b.WriteString("\x00" + platforms.Format(p))
	}
	return b.String()
}

// isLocalBase reports scratch and the local kinds (oci:, oci-archive:,
// docker-archive:).
func isLocalBase(ref string) bool {
	l, err := location.Parse(ref, location.Base)
	return err == nil && (l.Local() || l.Kind == location.Scratch)
}
