package imageio

import (
	"bytes"
	"io"
	"runtime"
	"testing"
)

// zstdRawFrame is a zstd frame declaring a window of 2^windowLog bytes,
// holding data as one raw block.
func zstdRawFrame(windowLog uint, data []byte) []byte {
	frame := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, byte(windowLog-10) << 3}
	h := uint32(1) | uint32(len(data))<<3 // last block, raw, its size
	frame = append(frame, byte(h), byte(h>>8), byte(h>>16))
	return append(frame, data...)
}

// TestZstdWindow: a frame may declare up to MaxZstdWindow; one declaring
// 512 MiB (klauspost/compress's own limit, which it allocates up front) is
// refused without that allocation.
func TestZstdWindow(t *testing.T) {
	data := []byte("a few bytes of layer\n")
	read := func(windowLog uint) ([]byte, error, uint64) {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		r, err := NewZstdReader(bytes.NewReader(zstdRawFrame(windowLog, data)), MaxZstdWindow)
		var got []byte
		if err == nil {
			got, err = io.ReadAll(r)
			r.Close()
		}
		runtime.ReadMemStats(&m1)
		return got, err, (m1.TotalAlloc - m0.TotalAlloc) >> 20
	}
	for _, w := range []uint{23, 27} {
		if got, err, _ := read(w); err != nil || !bytes.Equal(got, data) {
			t.Errorf("window 2^%d: %q, %v", w, got, err)
		}
	}
	if _, err, mib := read(29); err == nil || mib >= 128 {
		t.Errorf("window 2^29: error %v after allocating %d MiB; want an error and no such allocation", err, mib)
	}
}
