package imagediff

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// bigFileSize is the size of the one file in each generated layer.
const bigFileSize = 64 << 20

// patternReader yields n bytes of a repeating pattern, last byte b.
type patternReader struct {
	n, off int64
	last   byte
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	n := int64(len(p))
	if n > r.n-r.off {
		n = r.n - r.off
	}
	for i := range p[:n] {
		p[i] = byte((r.off + int64(i)) % 251)
	}
	r.off += n
	if r.off == r.n {
		p[n-1] = r.last
	}
	return int(n), nil
}

// streamedLayer opens a tar with one big file, generated as it is read.
func streamedLayer(last byte) func(context.Context, ocispec.Descriptor) (io.ReadCloser, error) {
	return func(context.Context, ocispec.Descriptor) (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() {
			tw := tar.NewWriter(pw)
			err := tw.WriteHeader(&tar.Header{Name: "big", Mode: 0o644, Size: bigFileSize, ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg})
			if err == nil {
				_, err = io.Copy(tw, &patternReader{n: bigFileSize, last: last})
			}
			if err == nil {
				err = tw.Close()
			}
			pw.CloseWithError(err)
		}()
		return pr, nil
	}
}

// TestCompareStreams: comparing two layers each holding a 64 MiB file
// allocates a small fraction of that: contents are hashed as they stream,
// never held.
func TestCompareStreams(t *testing.T) {
	mk := func(name string, last byte) Image {
		l := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: digest.FromString(name), Size: bigFileSize + 2048}
		return Image{Name: name, Digest: digest.FromString("top" + name), Open: streamedLayer(last), Manifests: []Manifest{{
			Platform: "linux/amd64", Digest: digest.FromString("m" + name), Layers: []ocispec.Descriptor{l},
		}}}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r, err := Compare(context.Background(), mk("A", 'a'), mk("B", 'b'), Options{FirstOnly: true})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if f := r.Platforms[0].Layers[0].Files; len(f) != 1 || f[0].Path != "/big" || f[0].Attrs[0].Attr != "content" {
		t.Fatalf("files %+v", f)
	}
	// The generators and pipes allocate too; the bound is far below one file.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > bigFileSize/8 {
		t.Errorf("comparing two %d-byte files allocated %d bytes: contents are being buffered", bigFileSize, alloc)
	}
}

// TestAlignManyLayers: two manifests of 5000 layers each, with one common
// layer at either end, align without an n×m table (that would be 200 MB):
// the ends are unchanged and the layers between paired in order.
func TestAlignManyLayers(t *testing.T) {
	const n = 5000
	mk := func(side string) []ocispec.Descriptor {
		ls := make([]ocispec.Descriptor, n)
		for i := range ls {
			ls[i].Digest = digest.FromString(fmt.Sprint(side, i))
		}
		ls[0].Digest, ls[n-1].Digest = digest.FromString("first"), digest.FromString("last")
		return ls
	}
	a, b := mk("a"), mk("b")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got, err := alignLayers(a, b)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n || got[0].Status != Same || got[n-1].Status != Same || got[1].Status != Changed ||
		got[1].A.Digest != a[1].Digest || got[1].B.Digest != b[1].Digest {
		t.Fatalf("alignment of %d layers: %d entries, first %v, second %v", n, len(got), got[0].Status, got[1].Status)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("aligning %d×%d layers allocated %d bytes", n, n, alloc)
	}
}

// TestLayerMetaBound: a layer whose entries' names pass the bound (here
// lowered to 1 MiB: a few KiB of gzip can hold gigabytes of names) is
// refused with ErrTooLarge instead of being held in memory.
func TestLayerMetaBound(t *testing.T) {
	defer func(old int64) { maxLayerMeta = old }(maxLayerMeta)
	maxLayerMeta = 1 << 20
	long := strings.Repeat("n", 200<<10)
	var small, big [][2]string
	for i := 0; i < 8; i++ {
		big = append(big, [2]string{fmt.Sprintf("%d/%s", i, long), "x"})
		small = append(small, [2]string{fmt.Sprint(i), "x"})
	}
	st := blobs{}
	for name, c := range map[string]struct {
		entries [][2]string
		tooBig  bool
	}{"small": {small, false}, "big": {big, true}} {
		d := st.add(gz(t, tarOf(t, c.entries, 0o644)))
		_, err := readLayer(context.Background(), st.open, d)
		if errors.Is(err, ErrTooLarge) != c.tooBig || (err != nil) != c.tooBig {
			t.Errorf("%s layer: %v, want ErrTooLarge %v", name, err, c.tooBig)
		}
	}
}

// TestCompareHugeConfig: configs of 300,000 values (a hostile image's:
// flattening them would take hundreds of megabytes) are compared whole,
// as one change carrying both digests; small ones field by field.
func TestCompareHugeConfig(t *testing.T) {
	huge := func(v string) []byte { return []byte(`{"x":[` + strings.Repeat(v+",", 300000) + v + `]}`) }
	a, b := huge("0"), huge("1")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got, err := compareJSON(a, b)
	runtime.ReadMemStats(&after)
	if err != nil || len(got) != 1 || got[0].Field != WholeDocument || string(got[0].New) != `"`+digest.FromBytes(b).String()+`"` {
		t.Fatalf("compareJSON(huge) = %d changes, %v; want one %q", len(got), err, WholeDocument)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("comparing two %d-byte configs allocated %d bytes", len(a), alloc)
	}
	if n := countValues([]byte(`{"a":"x,[{\",","b":[1,2]}`)); n != 5 {
		t.Errorf("countValues = %d, want 5 (commas and brackets in strings do not count)", n)
	}
	if got, err := compareJSON([]byte(`{"a":[1,2]}`), []byte(`{"a":[1,3]}`)); err != nil || len(got) != 1 || got[0].Field != "a[1]" {
		t.Errorf("compareJSON(small) = %+v, %v", got, err)
	}
}
