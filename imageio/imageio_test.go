package imageio_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/imageio"
)

// sink records what a Reader hands it.
type sink struct {
	bytes.Buffer
	committed, discarded bool
}

func (s *sink) Commit() error { s.committed = true; return nil }
func (s *sink) Discard()      { s.discarded = true }

func TestReader(t *testing.T) {
	good := []byte("the blob's content")
	desc := ocispec.Descriptor{Digest: digest.FromBytes(good), Size: int64(len(good))}
	tests := []struct {
		name    string
		content []byte
		wantErr error
	}{
		{"good", good, nil},
		{"flipped", append([]byte{good[0] ^ 1}, good[1:]...), imageio.ErrDigestMismatch},
		{"short", good[:len(good)-1], imageio.ErrDigestMismatch},
		{"long", append(bytes.Clone(good), 'x'), imageio.ErrDigestMismatch},
		{"empty", nil, imageio.ErrDigestMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, chunk := range []int{1, 4, 1 << 10} {
				r := imageio.NewReader(io.NopCloser(bytes.NewReader(tt.content)), desc)
				s := &sink{}
				r.Tee(s)
				var n int64
				r.OnRead(func(k int64) { n += k })
				got, err := readChunks(r, chunk)
				if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
					t.Fatalf("chunk %d: err = %v, want %v", chunk, err, tt.wantErr)
				}
				if tt.wantErr == nil && (!bytes.Equal(got, good) || !s.committed || s.discarded || s.String() != string(good) || n != desc.Size) {
					t.Fatalf("chunk %d: read %q (%d reported), sink %q committed %v", chunk, got, n, s.String(), s.committed)
				}
				if tt.wantErr != nil && (s.committed || !s.discarded) {
					t.Fatalf("chunk %d: a bad blob's sink: committed %v, discarded %v", chunk, s.committed, s.discarded)
				}
				if cerr := r.Close(); tt.wantErr != nil && !errors.Is(cerr, tt.wantErr) {
					t.Fatalf("chunk %d: close = %v", chunk, cerr)
				}
			}
		})
	}
}

// readChunks reads r to EOF in reads of n bytes.
func readChunks(r io.Reader, n int) ([]byte, error) {
	var out []byte
	buf := make([]byte, n)
	for {
		k, err := r.Read(buf)
		out = append(out, buf[:k]...)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// TestReaderClosedEarly checks that a sink is discarded when the reader is
// closed before the end.
func TestReaderClosedEarly(t *testing.T) {
	desc := ocispec.Descriptor{Digest: digest.FromString("abcdef"), Size: 6}
	r := imageio.NewReader(io.NopCloser(strings.NewReader("abcdef")), desc)
	s := &sink{}
	r.Tee(s)
	r.Read(make([]byte, 3))
	r.Close()
	if s.committed || !s.discarded {
		t.Fatalf("committed %v, discarded %v", s.committed, s.discarded)
	}
}

func TestVerifyRejectsBadDescriptors(t *testing.T) {
	for _, d := range []ocispec.Descriptor{
		{Digest: "sha256:../../etc", Size: 1},
		{Digest: digest.FromString("x"), Size: -1},
	} {
		if _, err := imageio.Verify(io.NopCloser(strings.NewReader("x")), d); err == nil {
			t.Errorf("%v: no error", d)
		}
		if _, err := imageio.BlobPath(d.Digest); err == nil && d.Size >= 0 {
			t.Errorf("%v: a path for a malformed digest", d)
		}
	}
	if p, err := imageio.BlobPath(digest.FromString("x")); err != nil || !strings.HasPrefix(p, "blobs/sha256/") {
		t.Errorf("BlobPath = %q, %v", p, err)
	}
}

func TestSniff(t *testing.T) {
	tests := map[string]imageio.Compression{
		"\x1f\x8b\x08\x00":     imageio.Gzip,
		"\x28\xb5\x2f\xfd\x00": imageio.Zstd,
		"\xfd7zXZ\x00":         imageio.Xz,
		"BZh91AY":              imageio.Bzip2,
		"ustar\x00":            imageio.None,
		"\x1f":                 imageio.None,
		"":                     imageio.None,
	}
	for head, want := range tests {
		if got := imageio.Sniff([]byte(head)); got != want {
			t.Errorf("Sniff(%q) = %q, want %q", head, got, want)
		}
	}
}

func TestWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := imageio.WithContext(ctx, strings.NewReader("data"))
	if _, err := r.Read(make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := r.Read(make([]byte, 1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v after cancel", err)
	}
}
