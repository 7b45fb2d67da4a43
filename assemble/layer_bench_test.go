package assemble

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ybuild/ybuild/spec"
)

// benchTree writes files of mixed random and compressible data.
func benchTree(b *testing.B, files, size int) string {
	dir := b.TempDir()
	for i := range files {
		p := filepath.Join(dir, fmt.Sprintf("d%02d", i%8), fmt.Sprintf("f%04d", i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, mixedData(uint64(i), size), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

func benchmarkWriteLayer(b *testing.B, c spec.Compression, files, size int) {
	dir := benchTree(b, files, size)
	env := newTestEnv(b, dir, Options{BlobDir: b.TempDir()})
	env.compression = c
	l := spec.Layer{Files: []spec.File{{Src: ".", Dst: "/data"}}}
	b.SetBytes(int64(files * size))
	b.ResetTimer()
	for b.Loop() {
		out, err := writeLayer(context.Background(), l, env)
		if err != nil {
			b.Fatal(err)
		}
		os.Remove(out.Path)
	}
}

func BenchmarkWriteLayerGzip(b *testing.B) { benchmarkWriteLayer(b, spec.CompressionGzip, 64, 512<<10) }
func BenchmarkWriteLayerZstd(b *testing.B) { benchmarkWriteLayer(b, spec.CompressionZstd, 64, 512<<10) }
func BenchmarkWriteLayerNone(b *testing.B) { benchmarkWriteLayer(b, spec.CompressionNone, 64, 512<<10) }

// BenchmarkWriteLayerSmallFiles measures per-entry overhead: 4096 files of 4 KiB.
func BenchmarkWriteLayerSmallFiles(b *testing.B) {
	benchmarkWriteLayer(b, spec.CompressionGzip, 4096, 4<<10)
}
