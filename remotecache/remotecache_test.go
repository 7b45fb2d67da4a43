package remotecache_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/remotecache"
	"github.com/ybuild/ybuild/resolve"
)

const gz = ocispec.MediaTypeImageLayerGzip

// warnings collects what a Cache warns.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) add(msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, msg)
}

func (w *warnings) list() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.msgs...)
}

// newCache returns the cache repository repo and its warnings.
func newCache(t *testing.T, repo string, opts *registry.Options) (*remotecache.Cache, *warnings) {
	t.Helper()
	if opts == nil {
		opts = &registry.Options{}
	}
	w := &warnings{}
	c, err := remotecache.New(repo, opts, w.add)
	if err != nil {
		t.Fatal(err)
	}
	return c, w
}

// layer is a gzipped layer blob in a local file.
type layer struct {
	path   string
	desc   ocispec.Descriptor
	diffID digest.Digest
	data   []byte
}

// newLayer writes a gzipped tar holding one file into dir.
func newLayer(t *testing.T, dir, name, body string) layer {
	t.Helper()
	var tarBuf, buf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(tarBuf.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	d := digest.FromBytes(buf.Bytes())
	p := filepath.Join(dir, d.Encoded())
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return layer{path: p, data: buf.Bytes(), diffID: digest.FromBytes(tarBuf.Bytes()),
		desc: ocispec.Descriptor{MediaType: gz, Digest: d, Size: int64(buf.Len())}}
}

// uploads counts the finished uploads of d (the PUT that names its digest).
func uploads(c *registrytest.Counter, d digest.Digest) int {
	n := 0
	for _, r := range c.Requests() {
		if r.Method == http.MethodPut && strings.Contains(r.Query, d.Encoded()) {
			n++
		}
	}
	return n
}

// readAll reads desc from c to the end.
func readAll(ctx context.Context, c *remotecache.Cache, desc ocispec.Descriptor) ([]byte, error) {
	rc, err := c.Open(ctx, desc)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// TestRoundTrip: a record pushed by one machine is found by another (a new
// Cache, nothing local) by its shape key, for its media type only, and its
// blob reads back verified; a blob the repository holds is not uploaded
// again, and a fetched blob's origin is the cache repository.
func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{})
	repo := reg.Host + "/ci/cache"
	l := newLayer(t, t.TempDir(), "app/a.txt", strings.Repeat("app text\n", 500))

	c, w := newCache(t, repo, nil)
	c.Store("shape-a", l.desc, l.diffID, l.path)
	c.Push(ctx, nil)
	if n := uploads(reg.Counter, l.desc.Digest); n != 1 {
		t.Fatalf("layer uploaded %d times, want 1\n%v", n, reg.Counter.Requests())
	}

	reg.Counter.Reset()
	c.Store("shape-b", l.desc, l.diffID, l.path) // the same blob under another shape
	c.Push(ctx, nil)
	if n := uploads(reg.Counter, l.desc.Digest); n != 0 {
		t.Errorf("a blob the repository holds was uploaded again (%d)", n)
	}

	other, ow := newCache(t, repo, nil)
	for _, shape := range []string{"shape-a", "shape-b"} {
		desc, diffID, ok := other.Lookup(ctx, shape, gz)
		if !ok || desc.Digest != l.desc.Digest || desc.Size != l.desc.Size || desc.MediaType != gz || diffID != l.diffID {
			t.Fatalf("Lookup(%s) = %v %s %v, want %v %s", shape, desc, diffID, ok, l.desc, l.diffID)
		}
	}
	if _, _, ok := other.Lookup(ctx, "shape-a", ocispec.MediaTypeImageLayerZstd); ok {
		t.Error("a gzip record was returned for a zstd layer")
	}
	data, err := readAll(ctx, other, l.desc)
	if err != nil || !bytes.Equal(data, l.data) {
		t.Fatalf("Open: %d bytes, %v", len(data), err)
	}
	src := other.Source(l.desc, l.path)
	origin, ok := src.(registry.Origin)
	if !ok {
		t.Fatal("the source of a fetched blob names no origin")
	}
	if from, ok := origin.Origin(l.desc); !ok || from.Name() != repo {
		t.Errorf("origin %v %v, want %s", from, ok, repo)
	}
	// A blob left in the repository (no local file) reads from there.
	reg.Counter.Reset()
	left := other.Source(l.desc, "")
	if p := left.(resolve.Pather).Path(l.desc); p != "" {
		t.Errorf("a blob left in the repository has the local path %q", p)
	}
	rc, err := left.Open(ctx, l.desc)
	if err != nil {
		t.Fatal(err)
	}
	data, err = io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(data, l.data) || reg.Counter.Count(http.MethodGet, "/blobs/"+l.desc.Digest.String()) != 1 {
		t.Errorf("a blob left in the repository: read %d bytes, %v, want it downloaded once", len(data), err)
	}
	if msgs := append(w.list(), ow.list()...); len(msgs) != 0 {
		t.Errorf("warnings: %q", msgs)
	}
}

// TestMiss: a shape without a record is a quiet miss (one manifest
// request), and the cache stays on.
func TestMiss(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{})
	c, w := newCache(t, reg.Host+"/ci/cache", nil)
	if _, _, ok := c.Lookup(ctx, "nothing", gz); ok {
		t.Fatal("a hit in an empty repository")
	}
	if n := reg.Counter.Count("", "/ci/cache/manifests/"+remotecache.TagPrefix+"nothing"); n == 0 || n > 2 {
		t.Errorf("%d manifest requests for one miss\n%v", n, reg.Counter.Requests())
	}
	l := newLayer(t, t.TempDir(), "a", "a")
	c.Store("later", l.desc, l.diffID, l.path)
	c.Push(ctx, nil)
	if _, _, ok := c.Lookup(ctx, "later", gz); !ok {
		t.Error("the cache was turned off by a miss")
	}
	if len(w.list()) != 0 {
		t.Errorf("warnings: %q", w.list())
	}
}

// manifest returns a record manifest for l under shape, changed by edit.
func manifest(l layer, shape string, edit func(m map[string]any)) []byte {
	m := map[string]any{
		"schemaVersion": 2,
		"mediaType":     ocispec.MediaTypeImageManifest,
		"artifactType":  remotecache.ArtifactType,
		"config":        map[string]any{"mediaType": ocispec.DescriptorEmptyJSON.MediaType, "digest": ocispec.DescriptorEmptyJSON.Digest, "size": ocispec.DescriptorEmptyJSON.Size},
		"layers":        []any{map[string]any{"mediaType": l.desc.MediaType, "digest": l.desc.Digest, "size": l.desc.Size}},
		"annotations":   map[string]any{remotecache.AnnotationDiffID: l.diffID.String(), remotecache.AnnotationShape: shape},
	}
	if edit != nil {
		edit(m)
	}
	data, _ := json.Marshal(m)
	return data
}

// putManifest tags data in the repository directly (the registry checks
// it is a manifest whose blobs it holds).
func putManifest(t *testing.T, host, repo, tag string, data []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, "http://"+host+"/v2/"+repo+"/manifests/"+tag, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ocispec.MediaTypeImageManifest)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("put manifest %s: %s %s", tag, resp.Status, body)
	}
}

// serveManifest makes the registry answer every request for a manifest
// under the tag of shape, and for the digest of data, with data, claiming
// size bytes (0: its length).
func serveManifest(reg *registrytest.Registry, shape string, data []byte, size int) {
	d := digest.FromBytes(data)
	if size == 0 {
		size = len(data)
	}
	h := http.Header{
		"Content-Type":          {ocispec.MediaTypeImageManifest},
		"Docker-Content-Digest": {d.String()},
		"Content-Length":        {strconv.Itoa(size)},
	}
	for _, p := range []string{"/manifests/" + remotecache.TagPrefix + shape, "/manifests/" + d.String()} {
		reg.Inject(registrytest.Fault{Path: p, Status: http.StatusOK, Header: h, Body: data})
	}
}

// TestHostileRecords: a record that is not what ybuild writes is a quiet
// miss: the cache stays on, nothing is returned, nothing warned.
func TestHostileRecords(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{})
	repo := reg.Host + "/ci/cache"
	l := newLayer(t, t.TempDir(), "app/a.txt", "app\n")
	seed, _ := newCache(t, repo, nil)
	seed.Store("good", l.desc, l.diffID, l.path) // the blobs the crafted records name
	seed.Push(ctx, nil)

	for name, edit := range map[string]func(m map[string]any){
		"artifact type":  func(m map[string]any) { m["artifactType"] = "application/vnd.example.other" },
		"no layer":       func(m map[string]any) { m["layers"] = []any{} },
		"two layers":     func(m map[string]any) { m["layers"] = append(m["layers"].([]any), m["layers"].([]any)[0]) },
		"other shape":    func(m map[string]any) { m["annotations"].(map[string]any)[remotecache.AnnotationShape] = "good" },
		"bad diffid":     func(m map[string]any) { m["annotations"].(map[string]any)[remotecache.AnnotationDiffID] = "sha256:xyz" },
		"no annotations": func(m map[string]any) { delete(m, "annotations") },
		"zstd media type": func(m map[string]any) {
			m["layers"].([]any)[0].(map[string]any)["mediaType"] = ocispec.MediaTypeImageLayerZstd
		},
	} {
		t.Run(name, func(t *testing.T) {
			shape := strings.ReplaceAll(name, " ", "-")
			putManifest(t, reg.Host, "ci/cache", remotecache.TagPrefix+shape, manifest(l, shape, edit))
			c, w := newCache(t, repo, nil)
			if desc, _, ok := c.Lookup(ctx, shape, gz); ok {
				t.Fatalf("hostile record used: %v", desc)
			}
			if _, _, ok := c.Lookup(ctx, "good", gz); !ok {
				t.Error("the cache was turned off by a hostile record")
			}
			if len(w.list()) != 0 {
				t.Errorf("warnings: %q", w.list())
			}
		})
	}

	served := map[string]struct {
		data []byte
		size int
		get  bool // the manifest is fetched before it is refused
	}{
		"malformed json": {data: []byte(`{"schemaVersion": 2, "layers": [`), get: true},
		"not an object":  {data: []byte(`["ybuild"]`), get: true},
		"oversized":      {data: manifest(l, "oversized", nil), size: 1 << 20},
	}
	for name, tc := range served {
		t.Run(name, func(t *testing.T) {
			defer reg.ClearFaults()
			shape := strings.ReplaceAll(name, " ", "-")
			serveManifest(reg, shape, tc.data, tc.size)
			reg.Counter.Reset()
			c, w := newCache(t, repo, nil)
			if desc, _, ok := c.Lookup(ctx, shape, gz); ok {
				t.Fatalf("hostile record used: %v", desc)
			}
			d := digest.FromBytes(tc.data).String()
			if got := reg.Counter.Count(http.MethodGet, "/manifests/"+d) > 0; got != tc.get {
				t.Errorf("manifest fetched: %v, want %v\n%v", got, tc.get, reg.Counter.Requests())
			}
			if n := reg.Counter.Count(http.MethodGet, "/blobs/"); n != 0 {
				t.Errorf("%d blob downloads for a refused record", n)
			}
			reg.ClearFaults()
			if _, _, ok := c.Lookup(ctx, "good", gz); !ok {
				t.Error("the cache was turned off by a hostile record")
			}
			if len(w.list()) != 0 {
				t.Errorf("warnings: %q", w.list())
			}
		})
	}
}

// TestBlobDigestMismatch: a blob whose bytes are not its digest fails
// the read (imageio.ErrDigestMismatch) without turning the cache off.
func TestBlobDigestMismatch(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{})
	repo := reg.Host + "/ci/cache"
	l := newLayer(t, t.TempDir(), "app/a.txt", strings.Repeat("app\n", 1000))
	c, w := newCache(t, repo, nil)
	c.Store("s", l.desc, l.diffID, l.path)
	c.Push(ctx, nil)
	reg.Corrupt(l.desc.Digest.String())
	if _, err := readAll(ctx, c, l.desc); !errors.Is(err, imageio.ErrDigestMismatch) {
		t.Errorf("reading a corrupted blob: %v, want a digest mismatch", err)
	}
	// A descriptor with the right digest and a wrong size fails as well.
	short := l.desc
	short.Size--
	reg.ClearFaults()
	if _, err := readAll(ctx, c, short); err == nil {
		t.Error("a blob longer than its descriptor was read")
	}
	if _, _, ok := c.Lookup(ctx, "s", gz); !ok {
		t.Error("the cache was turned off by a bad blob")
	}
	if len(w.list()) != 0 {
		t.Errorf("warnings: %q", w.list())
	}
}

// unusable checks that c, which cannot be used, warns once, misses, and
// stops asking the registry (counter) after the first failure.
func unusable(t *testing.T, c *remotecache.Cache, w *warnings, counter *registrytest.Counter, l layer) {
	t.Helper()
	ctx := context.Background()
	if _, _, ok := c.Lookup(ctx, "s", gz); ok {
		t.Error("a hit from an unusable repository")
	}
	if counter != nil {
		counter.Reset()
	}
	if _, _, ok := c.Lookup(ctx, "s", gz); ok {
		t.Error("a hit from an unusable repository")
	}
	c.Store("t", l.desc, l.diffID, l.path)
	c.Push(ctx, nil)
	if _, err := c.Open(ctx, l.desc); err == nil {
		t.Error("Open succeeded on an unusable repository")
	}
	if counter != nil {
		if reqs := counter.Requests(); len(reqs) != 0 {
			t.Errorf("requests after the cache was turned off: %v", reqs)
		}
	}
	if msgs := w.list(); len(msgs) != 1 || !strings.Contains(msgs[0], "cache repository") {
		t.Errorf("warnings %q: want one about the cache repository", msgs)
	}
}

// TestUnreachable: a repository nobody listens for costs one warning.
func TestUnreachable(t *testing.T) {
	c, w := newCache(t, "127.0.0.1:1/ci/cache", &registry.Options{Retries: -1})
	unusable(t, c, w, nil, newLayer(t, t.TempDir(), "a", "a"))
}

// TestPullDenied: a repository that refuses anonymous pulls (token auth,
// no credentials) costs one warning, and no request after it.
func TestPullDenied(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.Token, Users: map[string]string{"ci": "secret"}})
	c, w := newCache(t, reg.Host+"/ci/cache", nil)
	unusable(t, c, w, reg.Counter, newLayer(t, t.TempDir(), "a", "a"))
}

// TestServerErrors: a repository that answers 500 (through the fault
// proxy) is unusable, like an unreachable one.
func TestServerErrors(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	proxy := registrytest.NewProxy(t, reg.Host)
	proxy.Inject(registrytest.ProxyFault{Kind: registrytest.Status, Path: "/manifests/", Times: 100, Status: http.StatusInternalServerError})
	c, w := newCache(t, proxy.Host+"/ci/cache", &registry.Options{Retries: -1})
	unusable(t, c, w, proxy.Counter, newLayer(t, t.TempDir(), "a", "a"))
}

// TestPushDenied: a read-only repository (anonymous pulls only) serves
// lookups, refuses the push with one warning, and is asked nothing more.
func TestPushDenied(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{Auth: registrytest.Token, AnonymousPull: true, Users: map[string]string{"ci": "secret"}})
	c, w := newCache(t, reg.Host+"/ci/cache", nil)
	if _, _, ok := c.Lookup(ctx, "s", gz); ok {
		t.Fatal("a hit in an empty repository")
	}
	if len(w.list()) != 0 {
		t.Fatalf("a read-only repository warned on a lookup: %q", w.list())
	}
	dir := t.TempDir()
	a, b := newLayer(t, dir, "a", "a"), newLayer(t, dir, "b", "b")
	c.Store("a", a.desc, a.diffID, a.path)
	c.Store("b", b.desc, b.diffID, b.path)
	c.Push(ctx, nil)
	if n := uploads(reg.Counter, a.desc.Digest) + uploads(reg.Counter, b.desc.Digest); n != 0 {
		t.Errorf("%d uploads accepted by a read-only repository", n)
	}
	if n := reg.Counter.Count(http.MethodPost, "/blobs/uploads/"+b.desc.Digest.String()); n != 0 {
		t.Error("the second layer was tried after the first was refused")
	}
	reg.Counter.Reset()
	c.Store("c", a.desc, a.diffID, a.path)
	c.Push(ctx, nil)
	if _, _, ok := c.Lookup(ctx, "a", gz); ok {
		t.Error("a hit after a refused push")
	}
	if reqs := reg.Counter.Requests(); len(reqs) != 0 {
		t.Errorf("requests after the push was refused: %v", reqs)
	}
	if msgs := w.list(); len(msgs) != 1 || !strings.Contains(msgs[0], "push") {
		t.Errorf("warnings %q: want one about the refused push", msgs)
	}
}
