package imagediff

import (
	"archive/tar"
	"context"
	"io"
	"runtime"
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
