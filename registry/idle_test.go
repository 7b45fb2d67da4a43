package registry_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/internal/testbase"
	"github.com/ybuild/ybuild/registry"
)

// stallGuard bounds a test whose registry stalls: without the idle
// timeout the read would wait for the proxy to let go (minutes), and the
// test fails with the context's error instead of hanging.
const stallGuard = time.Minute

// stallSetup pushes the test base to a registry behind a fault-injecting
// proxy and returns the proxy and the amd64 image's second layer.
func stallSetup(t *testing.T) (*registrytest.Proxy, registry.Reference, ocispec.Descriptor) {
	t.Helper()
	reg := registrytest.New(t, registrytest.Options{})
	dir := filepath.Join(t.TempDir(), "base")
	info := testbase.Layout(t, dir)
	reg.PushLayout(t, dir, testbase.Ref, reg.Host+"/lib/busybox:1")
	proxy := registrytest.NewProxy(t, reg.Host)
	ref, err := registry.ParseReference(proxy.Host + "/lib/busybox:1")
	if err != nil {
		t.Fatal(err)
	}
	return proxy, ref, info.Image(t, "linux/amd64").Layers[1]
}

// fetchAll reads desc through a session with opts, as resolve does.
func fetchAll(ctx context.Context, t *testing.T, opts *registry.Options, ref registry.Reference, desc ocispec.Descriptor) ([]byte, error) {
	t.Helper()
	sess, err := registry.NewSession(ctx, opts, ref)
	if err != nil {
		t.Fatal(err)
	}
	f, err := sess.Resolver.Fetcher(ctx, ref.Name())
	if err != nil {
		t.Fatal(err)
	}
	rc, err := sess.Fetch(ctx, f, desc)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// TestIdleTimeoutResumesStalledDownload: a registry that sends the
// headers and half of a blob, then nothing while keeping the connection
// open, no longer hangs the download: after IdleTimeout without a byte the
// request is cancelled and the download resumes from where it stopped
// (a Range request), ending in the right bytes.
func TestIdleTimeoutResumesStalledDownload(t *testing.T) {
	proxy, ref, layer := stallSetup(t)
	proxy.Inject(registrytest.ProxyFault{Kind: registrytest.StallBody, Method: http.MethodGet, Path: layer.Digest.String()})
	ctx, cancel := context.WithTimeout(context.Background(), stallGuard)
	defer cancel()
	opts := &registry.Options{IdleTimeout: 300 * time.Millisecond, RetryBackoff: time.Millisecond}
	data, err := fetchAll(ctx, t, opts, ref, layer)
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	if got := digest.FromBytes(data); got != layer.Digest {
		t.Fatalf("read %d bytes, digest %s, want %s", len(data), got, layer.Digest)
	}
	var ranged int
	for _, r := range proxy.Counter.Requests() {
		if strings.Contains(r.Path, layer.Digest.String()) && strings.HasPrefix(r.Range, "bytes=") && r.Range != "bytes=0-" {
			ranged++
		}
	}
	if proxy.Hits() != 1 || ranged != 1 {
		t.Fatalf("%d stalls, %d resumed requests; want 1 and 1", proxy.Hits(), ranged)
	}
}

// TestIdleTimeoutNamesStalledBlob: with no retries, a stalled download
// fails, as a timeout, with an error naming the registry, the repository
// and the blob.
func TestIdleTimeoutNamesStalledBlob(t *testing.T) {
	proxy, ref, layer := stallSetup(t)
	proxy.Inject(registrytest.ProxyFault{Kind: registrytest.StallBody, Method: http.MethodGet, Path: layer.Digest.String()})
	ctx, cancel := context.WithTimeout(context.Background(), stallGuard)
	defer cancel()
	opts := &registry.Options{IdleTimeout: 300 * time.Millisecond, Retries: -1}
	_, err := fetchAll(ctx, t, opts, ref, layer)
	var ne net.Error
	if err == nil || !errors.As(err, &ne) || !ne.Timeout() || !registry.Transient(err) {
		t.Fatalf("err = %v, want a transient timeout", err)
	}
	for _, want := range []string{"stalled: no data received for 300ms", "registry " + proxy.Host, "repository lib/busybox", "blob " + layer.Digest.String()} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to hold %q", err, want)
		}
	}
}

// TestIdleTimeoutStalledManifest: a manifest GET whose body stalls is
// retried (the request is replayable) and the manifest read whole.
func TestIdleTimeoutStalledManifest(t *testing.T) {
	proxy, ref, _ := stallSetup(t)
	ctx, cancel := context.WithTimeout(context.Background(), stallGuard)
	defer cancel()
	opts := &registry.Options{IdleTimeout: 300 * time.Millisecond, RetryBackoff: time.Millisecond}
	sess, err := registry.NewSession(ctx, opts, ref)
	if err != nil {
		t.Fatal(err)
	}
	_, desc, err := sess.Resolver.Resolve(ctx, ref.String())
	if err != nil {
		t.Fatal(err)
	}
	proxy.Inject(registrytest.ProxyFault{Kind: registrytest.StallBody, Method: http.MethodGet, Path: "/manifests/", After: 10})
	data, err := fetchAll(ctx, t, opts, ref, desc)
	if err != nil {
		t.Fatalf("fetch manifest: %v", err)
	}
	if digest.FromBytes(data) != desc.Digest || !bytes.Contains(data, []byte("manifests")) {
		t.Fatalf("manifest %s, want %s", digest.FromBytes(data), desc.Digest)
	}
	if proxy.Hits() != 1 {
		t.Fatalf("%d stalls, want 1", proxy.Hits())
	}
}

// TestIdleTimeoutStalledUpload: a registry that stops reading an upload
// (8 MiB, more than the sockets buffer, so the sender blocks) and never
// answers fails the upload, as a timeout naming the registry, repository
// and blob, instead of hanging; with retries the upload starts again and
// the blob arrives.
func TestIdleTimeoutStalledUpload(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	proxy := registrytest.NewProxy(t, reg.Host)
	ref, err := registry.ParseReference(proxy.Host + "/app/big:1")
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 8<<20)
	_, _ = rand.NewChaCha8([32]byte{1}).Read(data)
	desc := ocispec.Descriptor{MediaType: "application/octet-stream", Digest: digest.FromBytes(data), Size: int64(len(data))}
	ctx, cancel := context.WithTimeout(context.Background(), stallGuard)
	defer cancel()
	push := func(opts *registry.Options) error {
		sess, err := registry.NewSession(ctx, opts, ref)
		if err != nil {
			t.Fatal(err)
		}
		pusher, err := sess.Resolver.Pusher(ctx, ref.String())
		if err != nil {
			t.Fatal(err)
		}
		return sess.Retry(ctx, func() error {
			cw, err := pusher.Push(ctx, desc)
			if errdefs.IsAlreadyExists(err) {
				return nil // an earlier attempt arrived, though its answer did not
			}
			if err != nil {
				return err
			}
			defer cw.Close()
			err = content.Copy(ctx, cw, bytes.NewReader(data), desc.Size, desc.Digest)
			if errdefs.IsAlreadyExists(err) {
				return nil
			}
			return err
		})
	}
	// Every upload stalls: containerd tries a few times on its own (a
	// timeout is transient to it too), then the error comes back.
	proxy.Inject(registrytest.ProxyFault{Kind: registrytest.StallRequest, Method: http.MethodPut, Path: "/blobs/uploads/", After: 100, Times: 100})
	err = push(&registry.Options{IdleTimeout: 300 * time.Millisecond, Retries: -1})
	stalls := proxy.Hits()
	var ne net.Error
	if err == nil || !errors.As(err, &ne) || !ne.Timeout() || !registry.Transient(err) {
		t.Fatalf("err = %v, want a transient timeout", err)
	}
	for _, want := range []string{"stalled: no data sent or answered for 300ms", "registry " + proxy.Host, "repository app/big", "upload of blob " + desc.Digest.String()} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to hold %q", err, want)
		}
	}
	if stalls < 1 || stalls > 10 {
		t.Fatalf("%d stalled uploads, want 1 to 10", stalls)
	}

	proxy2 := registrytest.NewProxy(t, reg.Host)
	proxy2.Inject(registrytest.ProxyFault{Kind: registrytest.StallRequest, Method: http.MethodPut, Path: "/blobs/uploads/", After: 100})
	if ref, err = registry.ParseReference(proxy2.Host + "/app/big:1"); err != nil {
		t.Fatal(err)
	}
	// A longer timeout here: the in-memory registry may pause for a while
	// taking 8 MiB, and a healthy upload cut off half-way would have to
	// start again from the beginning.
	if err := push(&registry.Options{IdleTimeout: 3 * time.Second, RetryBackoff: time.Millisecond}); err != nil {
		t.Logf("requests: %v", proxy2.Counter.Requests())
		t.Fatalf("push after one stall: %v", err)
	}
	if proxy2.Hits() != 1 {
		t.Fatalf("%d stalls, want 1", proxy2.Hits())
	}
	direct, err := registry.ParseReference(reg.Host + "/app/big:1")
	if err != nil {
		t.Fatal(err)
	}
	back, err := fetchAll(ctx, t, nil, direct, desc)
	if err != nil || !bytes.Equal(back, data) {
		t.Fatalf("the pushed blob reads back as %d bytes: %v", len(back), err)
	}
}
