package assemble

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/ybuild/ybuild/spec"
)

// reproFiles are the files of the reproducibility tree; true marks executables.
var reproFiles = map[string]bool{
	"bin/tool": true, "bin/sh": false, "etc/conf": false, "etc/sub/deep": false,
	"lib/a.so": true, "share/doc/README": false, "z": false,
}

// makeReproTree creates the same tree under dir with the given umask,
// mtime and creation order (reversed when reverse is set).
func makeReproTree(t *testing.T, dir string, umask int, mtime time.Time, reverse bool) {
	t.Helper()
	old := syscall.Umask(umask)
	defer syscall.Umask(old)
	names := make([]string, 0, len(reproFiles))
	for n := range reproFiles {
		names = append(names, n)
	}
	slices.Sort(names)
	if reverse {
		slices.Reverse(names)
	}
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			t.Fatal(err)
		}
		perm := os.FileMode(0o666)
		if reproFiles[n] {
			perm = 0o777
		}
		if err := os.WriteFile(p, bytes.Repeat([]byte(n), 5000), perm); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("tool", filepath.Join(dir, "bin/link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(dir, "etc/conf"), filepath.Join(dir, "etc/hard")); err != nil {
		t.Fatal(err)
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type()&os.ModeSymlink == 0 {
			os.Chtimes(p, mtime, mtime)
		}
		return err
	})
}

func TestWriteLayerReproducible(t *testing.T) {
	for _, c := range []spec.Compression{spec.CompressionGzip, spec.CompressionZstd, spec.CompressionNone} {
		t.Run(string(c), func(t *testing.T) {
			var got []layerBlob
			for _, v := range []struct {
				umask   int
				mtime   time.Time
				reverse bool
			}{
				{0o022, time.Unix(1e9, 0), false},
				{0o077, time.Unix(1.7e9, 123456789), true},
			} {
				dir := t.TempDir()
				makeReproTree(t, dir, v.umask, v.mtime, v.reverse)
				l := spec.Layer{Files: []spec.File{{Src: ".", Dst: "/app"}, {Dst: "/etc/x", Content: str("x")}},
					Delete: []string{"/old"}, Replace: []string{"/var/cache"}}
				env := testEnv(t, dir)
				env.compression, env.scratch = c, true
				out, _ := mustWrite(t, l, env)
				got = append(got, out)
			}
			if got[0].Desc.Digest != got[1].Desc.Digest || got[0].DiffID != got[1].DiffID {
				t.Fatalf("not reproducible: %s/%s vs %s/%s", got[0].Desc.Digest, got[0].DiffID, got[1].Desc.Digest, got[1].DiffID)
			}
		})
	}
}

// mixedData returns n bytes, alternating random and repetitive 64 KiB runs.
func mixedData(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	out := make([]byte, n)
	for i := 0; i < n; i += 64 << 10 {
		end := min(i+64<<10, n)
		if (i/(64<<10))%2 == 0 {
			for j := i; j < end; j++ {
				out[j] = byte(r.Uint32())
			}
		} else {
			for j := i; j < end; j++ {
				out[j] = "abcdefgh"[j%8]
			}
		}
	}
	return out
}

// compressWith compresses data in chunks of chunk bytes.
func compressWith(t *testing.T, mk func(io.Writer) (io.WriteCloser, error), data []byte, chunk int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := mk(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for len(data) > 0 {
		n := min(chunk, len(data))
		if _, err := w.Write(data[:n]); err != nil {
			t.Fatal(err)
		}
		data = data[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGzipDeterministic(t *testing.T) {
	data := mixedData(1, 6<<20+12345) // several pgzip blocks
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var ref []byte
	for _, procs := range []int{1, 2, 4, 8} {
		runtime.GOMAXPROCS(procs)
		for _, blocks := range []int{1, gzipBlocks, 16} {
			for _, chunk := range []int{512, 100_000, 1 << 22} {
				out := compressWith(t, func(w io.Writer) (io.WriteCloser, error) { return newGzip(w, blocks) }, data, chunk)
				if ref == nil {
					ref = out
					// mtime 0, no flags (no name), xfl, OS 255.
					if !bytes.Equal(out[3:8], []byte{0, 0, 0, 0, 0}) || out[9] != 255 {
						t.Fatalf("gzip header % x", out[:10])
					}
				} else if !bytes.Equal(ref, out) {
					t.Fatalf("GOMAXPROCS %d blocks %d chunk %d: output differs", procs, blocks, chunk)
				}
			}
		}
	}
}

func TestZstdDeterministic(t *testing.T) {
	data := mixedData(2, 6<<20+777)
	var ref []byte
	for _, conc := range []int{1, 2, 4} {
		for _, chunk := range []int{4096, 1 << 20} {
			out := compressWith(t, func(w io.Writer) (io.WriteCloser, error) { return newZstd(w, conc) }, data, chunk)
			if ref == nil {
				ref = out
			} else if !bytes.Equal(ref, out) {
				t.Fatalf("concurrency %d chunk %d: output differs", conc, chunk)
			}
		}
	}
}

func TestWriteLayerAcrossGOMAXPROCS(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "big"), mixedData(3, 5<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var ref layerBlob
	for _, procs := range []int{1, 4} {
		runtime.GOMAXPROCS(procs)
		out, err := writeLayer(context.Background(), spec.Layer{Files: []spec.File{{Src: "big", Dst: "/big"}}}, testEnv(t, dir))
		if err != nil {
			t.Fatal(err)
		}
		if ref.Desc.Digest == "" {
			ref = out
		} else if out.Desc.Digest != ref.Desc.Digest {
			t.Fatalf("GOMAXPROCS %d: %s != %s", procs, out.Desc.Digest, ref.Desc.Digest)
		}
	}
}
