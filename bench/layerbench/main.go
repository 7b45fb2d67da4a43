// Command layerbench builds an image of one layer of a directory on scratch
// with assemble.Build,
// or generates test data, for bench/layer.sh.
//
//	layerbench -gen 400 -dir /tmp/data     # 400 MB of mixed files
//	layerbench -gen 250 -files 15000 -dir /tmp/tree  # 250 MB in 15,000 files
//	layerbench -dir /tmp/data -blobs /tmp/blobs -compression gzip
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/resolve"
	"github.com/ybuild/ybuild/spec"
)

func main() {
	dir := flag.String("dir", "", "source directory")
	blobs := flag.String("blobs", "", "blob directory")
	comp := flag.String("compression", "gzip", "gzip, zstd or none")
	gen := flag.Int("gen", 0, "generate this many MB of files into -dir and exit")
	files := flag.Int("files", 0, "with -gen: spread the MB over this many files (a source tree)")
	flag.Parse()
	var err error
	if *gen > 0 && *files > 0 {
		err = generateTree(*dir, *gen, *files)
	} else {
		err = run(*dir, *blobs, *comp, *gen)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "layerbench:", err)
		os.Exit(1)
	}
}

func run(dir, blobs, comp string, gen int) error {
	if gen > 0 {
		return generate(dir, gen)
	}
	start := time.Now()
	b := &spec.Build{Dir: dir, Format: spec.FormatOCI, Compression: spec.Compression(comp),
		Layers: []spec.Layer{{Files: []spec.File{{Src: ".", Dst: "/data"}}}}}
	ctx := context.Background()
	base, err := resolve.Open(ctx, "scratch", resolve.Options{})
	if err != nil {
		return err
	}
	img, err := assemble.Build(ctx, b, base, assemble.Options{BlobDir: blobs})
	if err != nil {
		return err
	}
	out := img.Manifests[0].Layers[0]
	fmt.Printf("%s %s size=%d elapsed=%.2fs\n", comp, out.Digest, out.Size, time.Since(start).Seconds())
	return nil
}

// generate writes mb MB of files: a quarter random (incompressible), the
// rest text-like; sizes from 4 KiB to 32 MiB.
func generate(dir string, mb int) error {
	r := rand.New(rand.NewPCG(1, 2))
	sizes := []int{4 << 10, 64 << 10, 1 << 20, 8 << 20, 32 << 20}
	words := []string{"layer ", "image ", "build ", "spec ", "tar ", "zstd ", "gzip ", "\n"}
	for i, left := 0, mb<<20; left > 0; i++ {
		n := min(sizes[i%len(sizes)], left)
		buf := make([]byte, 0, n)
		if i%4 == 0 {
			for len(buf) < n {
				buf = append(buf, byte(r.Uint32()))
			}
		} else {
			for len(buf) < n {
				buf = append(buf, words[r.IntN(len(words))]...)
			}
			buf = buf[:n]
		}
		p := filepath.Join(dir, fmt.Sprintf("d%02d", i%16), fmt.Sprintf("f%05d", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			return err
		}
		left -= n
	}
	return nil
}

// generateTree writes n files totalling about mb MB into 100 directories of
// 10 subdirectories, with a fixed seed: every 500th file 2 MiB, the others
// from 256 bytes to twice the average of the rest; one file in eight random
// bytes, the rest text-like; every 50th executable.
func generateTree(dir string, mb, n int) error {
	r := rand.New(rand.NewPCG(3, 4))
	words := []string{"func ", "return ", "import ", "layer ", "image ", "if err != nil ", "{\n", "}\n", "\t"}
	avg := max(((mb<<20)-(n/500+1)*(2<<20))/n-256, 1)
	for i := range n {
		size := 256 + r.IntN(2*avg)
		if i%500 == 0 {
			size = 2 << 20
		}
		buf := make([]byte, 0, size+16)
		if i%8 == 0 {
			for len(buf) < size {
				buf = append(buf, byte(r.Uint32()))
			}
		} else {
			for len(buf) < size {
				buf = append(buf, words[r.IntN(len(words))]...)
			}
		}
		buf = buf[:size]
		p := filepath.Join(dir, fmt.Sprintf("d%02d", i%100), fmt.Sprintf("s%d", i%10), fmt.Sprintf("f%05d.txt", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if i%50 == 0 {
			mode = 0o755
		}
		if err := os.WriteFile(p, buf, mode); err != nil {
			return err
		}
	}
	return nil
}
