package output

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// TestReopener checks that a streamed blob restarts on a seek: back to the
// start, to an offset, and to the current position (no reopen).
func TestReopener(t *testing.T) {
	const data = "0123456789abcdef"
	opens := 0
	r := &reopener{ctx: context.Background(), open: func(context.Context) (io.ReadCloser, error) {
		opens++
		return io.NopCloser(strings.NewReader(data)), nil
	}}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(r, buf); err != nil || string(buf) != "01234" {
		t.Fatalf("first read %q, %v", buf, err)
	}
	if _, err := r.Seek(5, io.SeekStart); err != nil || opens != 1 {
		t.Fatalf("seek to the current position: %v, %d opens", err, opens)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if all, err := io.ReadAll(r); err != nil || string(all) != data || opens != 2 {
		t.Fatalf("after seek 0: %q, %v, %d opens", all, err, opens)
	}
	if _, err := r.Seek(10, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if rest, err := io.ReadAll(r); err != nil || !bytes.Equal(rest, []byte(data[10:])) {
		t.Fatalf("after seek 10: %q, %v", rest, err)
	}
	if _, err := r.Seek(1, io.SeekCurrent); err == nil {
		t.Error("relative seek accepted")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}
