package resolve

import (
	"context"
	"io"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Prefetcher is implemented by blob sources that can download blobs into
// the blob cache ahead of use (a registry base with a cache directory).
type Prefetcher interface {
	// Prefetch downloads, in the background and in the order given, each
	// of descs not cached yet into the cache, verified. Until a blob's
	// download ends, Open of that blob waits for it and then reads the
	// cached file, so one download serves both. wait waits for the
	// downloads to end, stopping them first when stop is set; a blob whose
	// download failed is fetched again by the next Open, which reports
	// the error.
	Prefetch(ctx context.Context, descs []ocispec.Descriptor) (wait func(stop bool))
}

var _ Prefetcher = (*registryBlobs)(nil)

// flights are the blobs being prefetched, each with a channel closed when
// its download ends.
type flights struct {
	mu sync.Mutex
	m  map[digest.Digest]chan struct{}
}

// start registers d; false when it is already in flight.
func (f *flights) start(d digest.Digest) (chan struct{}, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.m[d]; ok {
		return nil, false
	}
	if f.m == nil {
		f.m = map[digest.Digest]chan struct{}{}
	}
	ch := make(chan struct{})
	f.m[d] = ch
	return ch, true
}

// end closes d's flight.
func (f *flights) end(d digest.Digest) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch, ok := f.m[d]; ok {
		close(ch)
		delete(f.m, d)
	}
}

// wait waits until d is not in flight, or ctx ends.
func (f *flights) wait(ctx context.Context, d digest.Digest) error {
	f.mu.Lock()
	ch := f.m[d]
	f.mu.Unlock()
	if ch == nil {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Prefetch downloads descs into the cache in the background (nothing
// without a cache directory or offline).
func (b *registryBlobs) Prefetch(ctx context.Context, descs []ocispec.Descriptor) func(stop bool) {
	if b.rem.cache == nil || b.rem.offline {
		return func(bool) {}
	}
	var todo []ocispec.Descriptor
	for _, d := range descs {
		if b.rem.cache.Has(d) {
			continue
		}
		if _, ok := b.rem.flights.start(d.Digest); ok { // registered now: an Open from here on waits
			todo = append(todo, d)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, d := range todo {
			if ctx.Err() == nil {
				b.download(ctx, d)
			}
			b.rem.flights.end(d.Digest)
		}
	}()
	return func(stop bool) {
		if stop {
			cancel()
		}
		<-done
		cancel()
	}
}

// download reads desc from the registry into the cache (kept only once
// verified); errors are left for the next Open.
func (b *registryBlobs) download(ctx context.Context, desc ocispec.Descriptor) {
	rc, err := b.fetch(ctx, desc)
	if err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, rc)
	_ = rc.Close()
}
