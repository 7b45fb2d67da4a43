package output_test

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/output"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/resolve"
)

// progressLog records which transfers reported done.
type progressLog struct {
	mu   sync.Mutex
	done []string
}

// progress is an output.Options.Progress that records done calls.
func (l *progressLog) progress(name string, _ int64) (func(int64), func(int64)) {
	return func(int64) {}, func(int64) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.done = append(l.done, name)
	}
}

// stallIdle is the idle timeout of the pushes through faults: a stalled
// upload (the proxy stops reading and never answers) fails after it and is
// retried; without it the push would hang until the proxy lets go.
const stallIdle = 2 * time.Second

// TestPushThroughFaults pushes an image (base layers streamed from another
// registry) through the fault-injecting proxy: 5xx answers to upload
// starts, upload PUTs and manifest PUTs, and a connection reset in the
// middle of an upload, and uploads that stall (the registry stops reading
// and never answers: failed after the idle timeout), are retried by
// restarting the upload (so is an upload session the registry lost or
// that is out of step: a 404 or 416 to its PUT), and the
// pushed image pulls back with its digest; a registry that fails every
// upload fails the push after a bounded number of attempts, and progress
// never reports a failed blob as done.
func TestPushThroughFaults(t *testing.T) {
	src, _ := seedBase(t, registrytest.Options{})
	base := openBase(t, src.Host+"/lib/busybox:1", false, &testOpts{})
	img := buildOn(t, base)
	tests := []struct {
		name    string
		fault   registrytest.ProxyFault
		wantErr bool
	}{
		{"500 on upload PUT twice", registrytest.ProxyFault{Kind: registrytest.Status, Method: http.MethodPut, Path: "/blobs/uploads/", Times: 2}, false},
		{"503 on upload POST twice", registrytest.ProxyFault{Kind: registrytest.Status, Status: 503, Method: http.MethodPost, Path: "/blobs/uploads/", Times: 2}, false},
		{"reset during an upload", registrytest.ProxyFault{Kind: registrytest.ResetRequest, Method: http.MethodPut, Path: "/blobs/uploads/", After: 100}, false},
		{"stall during an upload", registrytest.ProxyFault{Kind: registrytest.StallRequest, Method: http.MethodPut, Path: "/blobs/uploads/", After: 100}, false},
		{"stall of a manifest PUT", registrytest.ProxyFault{Kind: registrytest.StallRequest, Method: http.MethodPut, Path: "/manifests/", After: 10}, false},
		{"upload session lost (404 to its PUT)", registrytest.ProxyFault{Kind: registrytest.Status, Status: http.StatusNotFound, Method: http.MethodPut, Path: "/blobs/uploads/"}, false},
		{"upload session out of step (416 to its PUT)", registrytest.ProxyFault{Kind: registrytest.Status, Status: http.StatusRequestedRangeNotSatisfiable, Method: http.MethodPut, Path: "/blobs/uploads/"}, false},
		{"500 on manifest PUT twice", registrytest.ProxyFault{Kind: registrytest.Status, Method: http.MethodPut, Path: "/manifests/", Times: 2}, false},
		{"500 on every upload", registrytest.ProxyFault{Kind: registrytest.Status, Method: http.MethodPut, Path: "/blobs/uploads/", Times: 100}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := registrytest.New(t, registrytest.Options{})
			proxy := registrytest.NewProxy(t, dst.Host)
			proxy.Inject(tt.fault)
			var log progressLog
			w, err := output.NewRegistryWriter("docker://"+proxy.Host+"/app/hello:1", output.Options{
				Registry: &registry.Options{RetryBackoff: time.Millisecond, IdleTimeout: stallIdle}, Progress: log.progress,
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err = w.Write(ctx, img)
			puts := proxy.Counter.Count(http.MethodPut, "/blobs/uploads/")
			t.Logf("%d faults, %d upload PUTs, done %v: %v", proxy.Hits(), puts, log.done, err)
			if tt.wantErr {
				if err == nil {
					t.Fatal("the push succeeded")
				}
				// Each blob: 5 attempts (4 retries), each of which
				// containerd may send twice after a 500.
				if bound := 2 * 5 * len(img.Blobs()); puts > bound {
					t.Fatalf("%d upload PUTs, want at most %d", puts, bound)
				}
				if len(log.done) != 0 {
					t.Fatalf("progress says done for %v, though every upload failed", log.done)
				}
				return
			}
			if err != nil {
				t.Fatalf("push: %v", err)
			}
			if proxy.Hits() == 0 {
				t.Fatal("no fault was injected")
			}
			back := openBase(t, dst.Host+"/app/hello:1", false, &testOpts{})
			if back.Digest != img.Desc.Digest {
				t.Fatalf("pulled back %s, want %s", back.Digest, img.Desc.Digest)
			}
			readBlobs(t, back)
		})
	}
}

// readBlobs reads and verifies every layer of the base's images.
func readBlobs(t *testing.T, b *resolve.Base) {
	t.Helper()
	for _, im := range b.Images {
		for _, l := range im.Manifest.Layers {
			rc, err := b.Blobs.Open(context.Background(), l)
			if err != nil {
				t.Fatal(err)
			}
			_, err = io.Copy(io.Discard, rc)
			rc.Close()
			if err != nil {
				t.Fatalf("layer %s: %v", l.Digest, err)
			}
		}
	}
}

// TestPushInsecureRegistryPlainHTTP pushes to an --insecure-registry host
// whose HTTPS attempts are closed (a plain-HTTP registry behind a TCP
// proxy): after one TLS attempt every request, streamed uploads included,
// goes over plain HTTP, and the image pulls back with its digest.
func TestPushInsecureRegistryPlainHTTP(t *testing.T) {
	src, _ := seedBase(t, registrytest.Options{})
	img := buildOn(t, openBase(t, src.Host+"/lib/busybox:1", false, &testOpts{}))
	dst := registrytest.New(t, registrytest.Options{})
	proxy := registrytest.NewProxy(t, dst.Host)
	proxy.CloseTLS()
	w, err := output.NewRegistryWriter("docker://"+proxy.Host+"/app/hello:1", output.Options{
		Registry: &registry.Options{Insecure: []string{proxy.Host}, RetryBackoff: time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := w.Write(ctx, img); err != nil {
		t.Fatalf("push: %v (%d TLS attempts)", err, proxy.TLSAttempts())
	}
	if n := proxy.TLSAttempts(); n != 1 {
		t.Fatalf("%d TLS attempts, want 1", n)
	}
	back := openBase(t, dst.Host+"/app/hello:1", false, &testOpts{})
	if back.Digest != img.Desc.Digest {
		t.Fatalf("pulled back %s, want %s", back.Digest, img.Desc.Digest)
	}
}
