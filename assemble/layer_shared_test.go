package assemble

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/resolve"
	"github.com/ybuild/ybuild/spec"
)

// fileShared is a SharedCache of one blob held in a local file, served
// through the verifying reader the registry one uses.
type fileShared struct {
	path   string
	desc   ocispec.Descriptor
	diffID digest.Digest // what Lookup claims; "" for the fetch tests
	reads  atomic.Int64
	gone   bool // Has reports the blob missing, Open fails
}

func (f *fileShared) Lookup(context.Context, string, string) (ocispec.Descriptor, digest.Digest, bool) {
	return f.desc, f.diffID, true
}

// signedShared is a fileShared whose record is signed by a trusted key.
type signedShared struct{ *fileShared }

func (signedShared) Signed(ocispec.Descriptor, digest.Digest) bool { return true }

func (f *fileShared) Open(_ context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	if f.gone {
		return nil, os.ErrNotExist
	}
	rc, err := os.Open(f.path)
	if err != nil {
		return nil, err
	}
	f.reads.Add(1)
	return imageio.Verify(rc, desc)
}

func (f *fileShared) Has(_ context.Context, desc ocispec.Descriptor) bool {
	return desc.Digest == f.desc.Digest && !f.gone
}

func (f *fileShared) Source(ocispec.Descriptor, string) resolve.BlobSource    { return nil }
func (f *fileShared) Name() string                                            { return "file" }
func (f *fileShared) Store(string, ocispec.Descriptor, digest.Digest, string) {}

// sharedBlob writes data as the blob of a fileShared.
func sharedBlob(t *testing.T, data []byte) *fileShared {
	t.Helper()
	p := filepath.Join(t.TempDir(), "blob")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return &fileShared{path: p, desc: ocispec.Descriptor{
		MediaType: ocispec.MediaTypeImageLayerGzip, Digest: digest.FromBytes(data), Size: int64(len(data)),
	}}
}

func gz(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestFetchCompare: the blob is kept only when it decompresses to exactly
// the sources' tar; anything else is an error before the whole blob is
// trusted, and a hostile stream cannot make the build read without end.
func TestFetchCompare(t *testing.T) {
	tarBytes := bytes.Repeat([]byte("the sources' tar\n"), 100000)
	empty := []byte{0x00, 0x00, 0x00, 0xff, 0xff} // a non-final empty stored deflate block
	endless := append([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}, bytes.Repeat(empty, 1<<21)...)
	cases := []struct {
		name string
		blob []byte
		want string // error substring, "" for a match
	}{
		{"same", gz(t, tarBytes), ""},
		{"differs", gz(t, append(append([]byte{}, tarBytes[:1000]...), bytes.Repeat([]byte("x"), len(tarBytes)-1000)...)), "differs"},
		{"shorter", gz(t, tarBytes[:len(tarBytes)-1]), "ends before"},
		{"longer", gz(t, append(append([]byte{}, tarBytes...), 'x')), "differs"},
		{"endless empty blocks", endless, "compressed bytes for 0 uncompressed"},
		{"plain tar as gzip", tarBytes, "whose blob is not gzip"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sh := sharedBlob(t, c.blob)
			var tmp bytes.Buffer
			err := fetchCompare(context.Background(), layerEnv{Options: Options{Shared: sh}}, sh.desc, &tmp, bytes.NewReader(tarBytes))
			if c.want == "" {
				if err != nil {
					t.Fatalf("fetchCompare: %v", err)
				}
				if !bytes.Equal(tmp.Bytes(), c.blob) {
					t.Error("the blob held is not the blob served")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one saying %q", err, c.want)
			}
		})
	}
}

// TestFetchCompareBadDigest: a blob whose bytes do not match the record's
// digest fails at its end even when it decompresses to the sources.
func TestFetchCompareBadDigest(t *testing.T) {
	tarBytes := bytes.Repeat([]byte("abc"), 1000)
	sh := sharedBlob(t, gz(t, tarBytes))
	sh.desc.Digest = digest.FromString("another blob")
	err := fetchCompare(context.Background(), layerEnv{Options: Options{Shared: sh}}, sh.desc, io.Discard, bytes.NewReader(tarBytes))
	if !errors.Is(err, imageio.ErrDigestMismatch) {
		t.Fatalf("error %v, want a digest mismatch", err)
	}
}

// TestCompareStreams checks the byte-for-byte comparison at buffer edges.
func TestCompareStreams(t *testing.T) {
	a := bytes.Repeat([]byte{1, 2, 3, 4}, 1<<19) // exactly 2 MiB: two full buffers
	var n atomic.Int64
	if err := compareStreams(bytes.NewReader(a), bytes.NewReader(a), &n); err != nil || n.Load() != int64(len(a)) {
		t.Fatalf("equal streams: %v, %d bytes matched", err, n.Load())
	}
	b := append(append([]byte{}, a...), 9)
	if err := compareStreams(bytes.NewReader(a), bytes.NewReader(b), new(atomic.Int64)); err == nil {
		t.Error("a longer want matched")
	}
	if err := compareStreams(bytes.NewReader(b), bytes.NewReader(a), new(atomic.Int64)); err == nil {
		t.Error("a longer got matched")
	}
	c := append([]byte{}, a...)
	c[len(c)-1] = 0
	if err := compareStreams(bytes.NewReader(a), bytes.NewReader(c), new(atomic.Int64)); err == nil {
		t.Error("streams differing in the last byte matched")
	}
}

// TestTarSizeBound: the bound is above the real tar's size for long names,
// symlinks, empty and odd-sized files.
func TestTarSizeBound(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("d", 120) + "/" + strings.Repeat("n", 200)
	writeTree(t, dir, map[string]string{"a.txt": "x", "b.bin": strings.Repeat("y", 513), "empty": "", long: "z"})
	if err := os.Symlink(strings.Repeat("t", 300), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	env := testEnv(t, dir)
	sd, err := openSpecDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer sd.close()
	l := spec.Layer{Files: []spec.File{{Src: ".", Dst: "/app/"}}}
	es, err := collect(context.Background(), l, env, sd, &spool{})
	if err != nil {
		t.Fatal(err)
	}
	if es, err = finish(context.Background(), es, false, ancestors(nil, meta{})); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := writeEntries(context.Background(), tarTo(&out), es, func(int64) {}); err != nil {
		t.Fatal(err)
	}
	if b := tarSizeBound(es); b < int64(out.Len())+1024 {
		t.Fatalf("bound %d for a tar of %d bytes", b, out.Len())
	}
}

// TestFetchCompareMediaType: a zstd layer's blob must be zstd, a gzip
// layer's gzip and a plain tar layer's the tar itself, whatever it
// decompresses to.
func TestFetchCompareMediaType(t *testing.T) {
	tarBytes := bytes.Repeat([]byte("the sources' tar\n"), 10000)
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	zst := enc.EncodeAll(tarBytes, nil)
	cases := []struct {
		name, mediaType string
		blob            []byte
		ok              bool
	}{
		{"zstd", ocispec.MediaTypeImageLayerZstd, zst, true},
		{"gzip as zstd", ocispec.MediaTypeImageLayerZstd, gz(t, tarBytes), false},
		{"zstd as gzip", ocispec.MediaTypeImageLayerGzip, zst, false},
		{"tar", ocispec.MediaTypeImageLayer, tarBytes, true},
		{"gzip as tar", ocispec.MediaTypeImageLayer, gz(t, tarBytes), false},
		{"docker gzip", imageio.MediaTypeDockerLayerGzip, gz(t, tarBytes), true},
		{"tar as docker gzip", imageio.MediaTypeDockerLayerGzip, tarBytes, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sh := sharedBlob(t, c.blob)
			sh.desc.MediaType = c.mediaType
			err := fetchCompare(context.Background(), layerEnv{Options: Options{Shared: sh}}, sh.desc, io.Discard, bytes.NewReader(tarBytes))
			if c.ok != (err == nil) {
				t.Fatalf("fetchCompare: %v, want ok %v", err, c.ok)
			}
		})
	}
}

// zstdRawFrame returns a zstd frame declaring a window of 1<<windowLog
// bytes that holds data (at most 128 KiB) in one raw block.
func zstdRawFrame(windowLog uint, data []byte) []byte {
	frame := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, byte(windowLog-10) << 3}
	h := uint32(1) | uint32(len(data))<<3 // last block, raw, its size
	frame = append(frame, byte(h), byte(h>>8), byte(h>>16))
	return append(frame, data...)
}

// TestFetchCompareZstdWindow: a shared zstd blob may declare no larger a
// window than ybuild's encoder uses; one that declares 512 MiB (what the
// decoder would allocate before the first byte) is refused even when it
// decompresses to the sources, without that allocation. Blobs ybuild
// writes, small and larger than the window, pass.
func TestFetchCompareZstdWindow(t *testing.T) {
	tarBytes := bytes.Repeat([]byte("the sources' tar\n"), 6000) // under one 128 KiB block
	check := func(name string, blob, tar []byte) (error, uint64) {
		sh := sharedBlob(t, blob)
		sh.desc.MediaType = ocispec.MediaTypeImageLayerZstd
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		err := fetchCompare(context.Background(), layerEnv{Options: Options{Shared: sh}}, sh.desc, io.Discard, bytes.NewReader(tar))
		runtime.ReadMemStats(&m1)
		return err, (m1.TotalAlloc - m0.TotalAlloc) >> 20
	}
	if err, _ := check("8 MiB window", zstdRawFrame(23, tarBytes), tarBytes); err != nil {
		t.Fatalf("a blob with ybuild's window: %v", err)
	}
	err, mib := check("512 MiB window", zstdRawFrame(29, tarBytes), tarBytes)
	if err == nil {
		t.Error("a blob declaring a 512 MiB window was accepted")
	}
	if mib >= 256 {
		t.Errorf("refusing it allocated %d MiB", mib)
	}
	big := make([]byte, 20<<20)
	for i := range big {
		big[i] = byte(i * 7 / 5)
	}
	var blob bytes.Buffer
	zw, err := newCompressor(&blob, spec.CompressionZstd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(big); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err, _ := check("ybuild's", blob.Bytes(), big); err != nil {
		t.Fatalf("a 20 MiB blob ybuild wrote: %v", err)
	}
}

// TestSharedRecordFiles: a layer taken from the shared cache, checked in
// full or signed, lists the same files as the layer written cold (recorded
// from the sources' tar while it is checked), so the SBOM need not read
// the blob; without RecordFiles nothing is recorded.
func TestSharedRecordFiles(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"tree/a.txt": "alpha\n", "tree/empty": "", "tree/sub/b.txt": "beta\n"})
	l := spec.Layer{Files: []spec.File{{Src: "tree", Dst: "/srv"}, {Content: ptr("conf\n"), Dst: "/etc/app.conf"}}}
	cold := testEnv(t, dir)
	cold.RecordFiles = true
	made := mustWriteLayer(t, l, cold)
	if !made.Recorded || len(made.Files) != 4 {
		t.Fatalf("cold layer: recorded %v, %d files, want 4", made.Recorded, len(made.Files))
	}
	for _, signed := range []bool{false, true} {
		for _, record := range []bool{true, false} {
			fs := &fileShared{path: made.Path, desc: made.Desc, diffID: made.DiffID}
			var sh SharedCache = fs
			if signed {
				sh = signedShared{fs}
			}
			var labels []string
			env := cacheEnv(t, dir, t.TempDir(), &labels)
			env.Shared, env.RecordFiles = sh, record
			got := mustWriteLayer(t, l, env)
			if len(labels) != 1 || !strings.HasSuffix(labels[0], "(shared) (cached)") || fs.reads.Load() != 1 {
				t.Fatalf("signed %v: progress %q, %d reads of the shared blob, want it taken from there", signed, labels, fs.reads.Load())
			}
			if got.Desc.Digest != made.Desc.Digest || got.Recorded != record {
				t.Errorf("signed %v, record %v: %s recorded %v", signed, record, got.Desc.Digest, got.Recorded)
			}
			if record && !reflect.DeepEqual(got.Files, made.Files) {
				t.Errorf("signed %v: files\n %+v\nwant, as written cold,\n %+v", signed, got.Files, made.Files)
			}
		}
	}
}

// TestSharedLeftRemote: with RemoteShared, a layer under a trusted signed
// record is not downloaded: it has no local file, its files are recorded,
// and the next build with the same local cache takes it from a Remote
// record without asking the shared cache for the record or hashing the
// sources, while the shared cache holds the blob. A build that needs local
// blobs does not take it; one whose shared cache lost the blob takes
// neither the Remote record nor the shared record (the push could not
// mount the blob): it writes the layer.
func TestSharedLeftRemote(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"tree/a.txt": "alpha\n", "tree/sub/b.txt": "beta\n"})
	l := spec.Layer{Files: []spec.File{{Src: "tree", Dst: "/srv"}}}
	cold := testEnv(t, dir)
	cold.RecordFiles = true
	made := mustWriteLayer(t, l, cold)
	fs := &fileShared{path: made.Path, desc: made.Desc, diffID: made.DiffID}
	cacheDir := t.TempDir()
	buildIn := func(cacheDir string, remote bool) (layerBlob, []string) {
		t.Helper()
		var labels []string
		env := cacheEnv(t, dir, cacheDir, &labels)
		env.Shared, env.RemoteShared, env.RecordFiles = signedShared{fs}, remote, true
		return mustWriteLayer(t, l, env), labels
	}
	build := func(remote bool) (layerBlob, []string) {
		t.Helper()
		return buildIn(cacheDir, remote)
	}
	got, labels := build(true)
	if got.Path != "" || got.Desc.Digest != made.Desc.Digest || fs.reads.Load() != 0 || !reflect.DeepEqual(got.Files, made.Files) {
		t.Fatalf("left remote: path %q, %s, %d reads, files %v; want no file, %s, no read, the files", got.Path, got.Desc.Digest, fs.reads.Load(), got.Files, made.Desc.Digest)
	}
	if got.Origin != "file" || len(labels) != 1 || !strings.Contains(labels[0], "(shared)") {
		t.Fatalf("origin %q, progress %q: want the shared cache's", got.Origin, labels)
	}
	if err := os.WriteFile(filepath.Join(dir, "tree/a.txt"), []byte("alpha\n"), 0o644); err != nil { // a new ctime: only the shape matches
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		got, labels = build(true)
		if got.Path != "" || got.Origin != "file" || len(labels) != 1 || strings.Contains(labels[0], "(shared)") || fs.reads.Load() != 0 {
			t.Fatalf("rebuild %d: path %q, origin %q, progress %q, %d reads; want the Remote record", i+1, got.Path, got.Origin, labels, fs.reads.Load())
		}
	}
	other := t.TempDir() // a Remote record too, for the build that needs local blobs
	if got, _ = buildIn(other, true); got.Path != "" {
		t.Fatalf("left remote: path %q", got.Path)
	}
	fs.gone = true
	if got, labels = build(true); got.Path == "" || got.Desc.Digest != made.Desc.Digest || strings.Contains(labels[0], "(shared)") {
		t.Errorf("blob gone: path %q, %s, progress %q; want the layer written", got.Path, got.Desc.Digest, labels)
	}
	fs.gone = false
	if got, _ = buildIn(other, false); got.Path == "" || fs.reads.Load() != 1 {
		t.Errorf("a build that needs local blobs: path %q, %d reads; want it downloaded", got.Path, fs.reads.Load())
	}
}
