package output_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/internal/testbase"
	"github.com/ybuild/ybuild/output"
	"github.com/ybuild/ybuild/resolve"
	"github.com/ybuild/ybuild/spec"
)

// amd64 is the platform single-manifest test images are built for.
var amd64 = ocispec.Platform{OS: "linux", Architecture: "amd64"}

// fixture is a busybox test base (the two-platform testbase layout) that
// images are built on.
type fixture struct {
	base string
}

// newFixture writes the testbase layout in a temp dir.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "base")
	testbase.Layout(t, dir)
	return &fixture{base: dir}
}

// image builds /hello.txt holding content on the base, for linux/amd64
// only: a single manifest.
func (f *fixture) image(t *testing.T, content string) *assemble.Image {
	t.Helper()
	return buildSpec(t, "oci:"+f.base+":"+testbase.Ref, "", content, resolve.Options{Platforms: []ocispec.Platform{amd64}})
}

// imageAll builds /hello.txt on every platform of the base: an index.
func (f *fixture) imageAll(t *testing.T, content string) *assemble.Image {
	t.Helper()
	return buildSpec(t, "oci:"+f.base+":"+testbase.Ref, "platforms: all\n", content, resolve.Options{AllPlatforms: true})
}

// scratchImage builds /hello.txt holding content on scratch: no base blobs.
func scratchImage(t *testing.T, content string) *assemble.Image {
	t.Helper()
	return buildSpec(t, "scratch", "", content, resolve.Options{})
}

// buildSpec parses a one-file spec on base and builds it with assemble.Build.
func buildSpec(t *testing.T, base, extra, content string, ropts resolve.Options) *assemble.Image {
	t.Helper()
	yaml := fmt.Sprintf("apiVersion: ybuild/v1\nname: hello\nbase: %q\n%sfiles:\n  - {dst: /hello.txt, content: %q}\n", base, extra, content)
	b, err := spec.Parse([]byte(yaml), "build.yaml", t.TempDir(), spec.LoadOptions{})
	if err != nil {
		t.Fatalf("spec: %v\n%s", err, yaml)
	}
	ctx := context.Background()
	rb, err := resolve.Open(ctx, b.Base, ropts)
	if err != nil {
		t.Fatal(err)
	}
	img, err := assemble.Build(ctx, b, rb, assemble.Options{BlobDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// baseLayer returns the first blob of img read from the base.
func baseLayer(t *testing.T, img *assemble.Image) ocispec.Descriptor {
	t.Helper()
	for _, l := range img.Manifests[0].Layers {
		if img.Source(l) != nil {
			return l
		}
	}
	t.Fatal("the image has no base layer")
	return ocispec.Descriptor{}
}

// newLayer returns the last layer of img's first manifest: the one the build made.
func newLayer(t *testing.T, img *assemble.Image) ocispec.Descriptor {
	t.Helper()
	ls := img.Manifests[0].Layers
	l := ls[len(ls)-1]
	if img.Source(l) != nil || img.Path(l) == "" {
		t.Fatalf("layer %s is not a new layer file", l.Digest)
	}
	return l
}

// corruptBlob flips the last byte of the blob d in the layout dir, keeping its size.
func corruptBlob(t *testing.T, dir string, d ocispec.Descriptor) {
	t.Helper()
	p := filepath.Join(dir, "blobs", d.Digest.Algorithm().String(), d.Digest.Encoded())
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-1] ^= 0xff
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// parse is output.Parse that fails the test.
func parse(t *testing.T, dest string, opts output.Options) output.Writer {
	t.Helper()
	w, err := output.Parse(dest, opts)
	if err != nil {
		t.Fatalf("Parse(%q): %v", dest, err)
	}
	return w
}

// write parses dest and writes img there.
func write(t *testing.T, dest string, opts output.Options, img *assemble.Image) output.Result {
	t.Helper()
	res, err := parse(t, dest, opts).Write(context.Background(), img)
	if err != nil {
		t.Fatalf("write %s: %v", dest, err)
	}
	return res
}

// tryWrite parses dest and writes img there with ctx, returning the error.
func tryWrite(t *testing.T, ctx context.Context, dest string, opts output.Options, img *assemble.Image) error {
	t.Helper()
	_, err := parse(t, dest, opts).Write(ctx, img)
	return err
}

// readLayoutIndex reads dir/index.json.
func readLayoutIndex(t *testing.T, dir string) ocispec.Index {
	t.Helper()
	var idx ocispec.Index
	readJSONFile(t, filepath.Join(dir, "index.json"), &idx)
	return idx
}

// readJSONFile decodes the file at path into v.
func readJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// refs maps each ref name of idx to its digest; a ref seen twice fails the test.
func refs(t *testing.T, idx ocispec.Index) map[string]digest.Digest {
	t.Helper()
	out := map[string]digest.Digest{}
	for _, m := range idx.Manifests {
		r := m.Annotations[ocispec.AnnotationRefName]
		if _, dup := out[r]; dup {
			t.Fatalf("ref %q appears twice in index.json", r)
		}
		out[r] = m.Digest
	}
	return out
}

// checkLayoutBlobs checks that every blob of img is in the layout dir with
// its exact content.
func checkLayoutBlobs(t *testing.T, dir string, img *assemble.Image) {
	t.Helper()
	for _, d := range img.Blobs() {
		p := filepath.Join(dir, "blobs", d.Digest.Algorithm().String(), d.Digest.Encoded())
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("blob %s: %v", d.Digest, err)
		}
		if int64(len(data)) != d.Size || digest.FromBytes(data) != d.Digest {
			t.Fatalf("blob %s: the file does not hold its content", d.Digest)
		}
	}
}

// openDigest opens ref with resolve (every platform) and returns the digest
// it names: a round trip through ybuild's own reader.
func openDigest(t *testing.T, ref string) digest.Digest {
	t.Helper()
	b, err := resolve.Open(context.Background(), ref, resolve.Options{AllPlatforms: true})
	if err != nil {
		t.Fatalf("resolve %s: %v", ref, err)
	}
	return b.Digest
}

// fileSum returns the hex sha256 of the file at path.
func fileSum(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// leftovers returns the temporary files and directories under root: names
// holding ".tmp" or "-tmp".
func leftovers(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.Contains(d.Name(), ".tmp") || strings.Contains(d.Name(), "-tmp") {
			out = append(out, p)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}

// noLeftovers fails the test when root holds temporary files.
func noLeftovers(t *testing.T, root string) {
	t.Helper()
	if l := leftovers(t, root); len(l) > 0 {
		t.Errorf("temporary files left behind: %q", l)
	}
}

// withUmask sets the process umask for the rest of the test. Tests using it
// must not run in parallel.
func withUmask(t *testing.T, mask int) {
	t.Helper()
	old := syscall.Umask(mask)
	t.Cleanup(func() { syscall.Umask(old) })
}

// countdownCtx is a context whose Err turns to context.Canceled after n
// calls: it cancels a write part way through.
type countdownCtx struct {
	context.Context
	n atomic.Int64
}

func newCountdown(n int64) *countdownCtx {
	c := &countdownCtx{Context: context.Background()}
	c.n.Store(n)
	return c
}

func (c *countdownCtx) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}
