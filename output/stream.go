package output

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/registry"
)

// Streaming limits. streamQueue is how many compressed chunks (each as
// large as the layer writer's buffer, 1 MiB) a layer's upload may hold
// waiting for the network; while it is full, compression waits. Once a
// layer has waited streamWait in all, the network is slower than
// compression: the upload is dropped, and the blob is uploaded whole after
// the build, and only if the registry lacks it. A streamed upload
// overlaps compression where the link keeps pace; the price, where the
// registry already held the blob (a cold local cache, no --cache-repo),
// is bytes sent for nothing, and at most streamWait of delay.
const (
	streamQueue = 16
	streamWait  = 500 * time.Millisecond
)

// streamLimits are streamQueue and streamWait; tests shrink them.
var streamLimits = struct {
	queue int
	wait  time.Duration
}{streamQueue, streamWait}

// streams sends a registry output's new layer blobs while they are
// written (assemble.Uploader), and lets the push wait for them: a blob
// committed that way is then found by the push's HEAD and skipped.
type streams struct {
	ctx   context.Context // the uploads' lifetime, set by Uploader
	clock func() time.Time
	ref   registry.Reference
	opts  *registry.Options

	once sync.Once
	sess *registry.Session

	// slots bounds the uploads in flight (each holds a connection and up
	// to streamQueue+1 chunks) to the registry options' upload
	// concurrency; a layer that finds none free is left to the push.
	slots chan struct{}

	mu      sync.Mutex
	pending map[digest.Digest]chan struct{}
}

// Uploader returns the assemble.Uploader that sends new layers to the
// first registry output among writers while they are written, or nil when
// there is none. The uploads outlive the layer writing that starts them
// (they finish in the background) and end with ctx; clock (time.Now)
// measures how long they held compression up.
func Uploader(ctx context.Context, writers []Writer, clock func() time.Time) assemble.Uploader {
	for _, w := range writers {
		if rw, ok := w.(*registryWriter); ok {
			rw.streams.ctx, rw.streams.clock = ctx, clock
			return rw.streams
		}
	}
	return nil
}

// newStreams returns the streams of the repository ref.
func newStreams(ref registry.Reference, opts *registry.Options) *streams {
	return &streams{ref: ref, opts: opts, pending: map[digest.Digest]chan struct{}{},
		slots: make(chan struct{}, opts.UploadConcurrency())}
}

// Begin starts an upload in the repository; nil when that cannot be done
// (the push reports the registry's error, if it persists) or when as many
// uploads as the upload concurrency are in flight. The registry is asked
// in the background. The upload lives as long as the context given to
// Uploader, not ctx: it finishes after the layer is written.
func (s *streams) Begin(ctx context.Context) assemble.Upload {
	if ctx.Err() != nil {
		return nil
	}
	ctx = s.ctx
	s.once.Do(func() { s.sess, _ = registry.NewSession(ctx, s.opts, s.ref) })
	if s.sess == nil {
		return nil
	}
	select {
	case s.slots <- struct{}{}:
	default:
		return nil
	}
	q := streamLimits.queue
	st := &stream{s: s, queue: make(chan []byte, q), free: make(chan []byte, q+1), budget: streamLimits.wait}
	up, err := s.sess.StartUpload(ctx, &queueReader{st: st})
	if err != nil {
		<-s.slots
		return nil
	}
	st.up = up
	return st
}

// wait returns once no upload of dgst is in flight (or ctx ends).
func (s *streams) wait(ctx context.Context, dgst digest.Digest) {
	if s == nil {
		return
	}
	s.mu.Lock()
	ch := s.pending[dgst]
	s.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case <-ch:
	case <-ctx.Done():
	}
}

// stream is one blob's upload: Write queues copies of the compressed
// bytes, which the upload's request body (queueReader) sends in order.
type stream struct {
	s     *streams
	up    *registry.Upload
	queue chan []byte
	free  chan []byte
	// waited is how long Write has waited for a full queue; dropped is set
	// once that reached budget (later writes are ignored).
	waited  time.Duration
	budget  time.Duration
	dropped bool
	release sync.Once // frees the upload's slot
}

// Write queues a copy of p, waiting while the queue is full; it drops the
// upload once the waits add up to its budget, streamWait (the network is
// slower than compression).
func (st *stream) Write(p []byte) (int, error) {
	if st.dropped {
		return len(p), nil
	}
	select {
	case <-st.up.Done(): // refused or broken before the end: nobody reads the queue
		st.drop()
		return len(p), nil
	default:
	}
	var buf []byte
	select {
	case buf = <-st.free:
	default:
	}
	buf = append(buf[:0], p...)
	select {
	case st.queue <- buf:
		return len(p), nil
	default:
	}
	start := st.s.clock()
	t := time.NewTimer(st.budget - st.waited)
	defer t.Stop()
	select {
	case st.queue <- buf:
		st.waited += st.s.clock().Sub(start)
	case <-t.C:
		st.waited = st.budget
	case <-st.up.Done():
		st.waited = st.budget
	}
	if st.waited >= st.budget {
		st.drop()
	}
	return len(p), nil
}

// drop ends the upload; later writes are ignored.
func (st *stream) drop() {
	st.dropped = true
	st.up.Abort()
}

// releaseSlot gives the upload's slot back, once.
func (st *stream) releaseSlot() { st.release.Do(func() { <-st.s.slots }) }

// queueReader is the upload's request body: the queued chunks in order,
// until the queue is closed.
type queueReader struct {
	st   *stream
	cur  []byte // the rest of the chunk being read
	head []byte // cur's whole chunk, returned to the free list when read
}

// WriteTo writes each chunk to w whole: one write per chunk.
func (q *queueReader) WriteTo(w io.Writer) (int64, error) {
	var n int64
	if len(q.cur) > 0 {
		k, err := w.Write(q.cur)
		n += int64(k)
		if err != nil {
			return n, err
		}
		q.release()
	}
	for buf := range q.st.queue {
		k, err := w.Write(buf)
		n += int64(k)
		q.head, q.cur = buf, nil
		q.release()
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Read reads the queued bytes.
func (q *queueReader) Read(p []byte) (int, error) {
	if len(q.cur) == 0 {
		buf, ok := <-q.st.queue
		if !ok {
			return 0, io.EOF
		}
		q.head, q.cur = buf, buf
	}
	n := copy(p, q.cur)
	q.cur = q.cur[n:]
	if len(q.cur) == 0 {
		q.release()
	}
	return n, nil
}

// release returns the chunk read to the free list.
func (q *queueReader) release() {
	select {
	case q.st.free <- q.head:
	default:
	}
	q.head, q.cur = nil, nil
}

// Commit finishes the upload in the background as desc; the push waits
// for it before it looks for the blob.
func (st *stream) Commit(desc ocispec.Descriptor) {
	close(st.queue)
	done := make(chan struct{})
	st.s.mu.Lock()
	dup := st.s.pending[desc.Digest] != nil
	if !dup {
		st.s.pending[desc.Digest] = done
	}
	st.s.mu.Unlock()
	if dup { // the same blob again: the first upload stands for both
		go func() {
			st.up.Abort()
			st.releaseSlot()
		}()
		return
	}
	go func() {
		var err error
		if !st.dropped {
			err = st.up.Commit(desc.Digest)
		}
		if err != nil || st.dropped {
			st.up.Abort()
		}
		st.releaseSlot()
		st.s.mu.Lock()
		close(done)
		delete(st.s.pending, desc.Digest)
		st.s.mu.Unlock()
	}()
}

// Abort drops the upload: its layer was not written.
func (st *stream) Abort() {
	close(st.queue)
	st.up.Abort()
	st.releaseSlot()
}
