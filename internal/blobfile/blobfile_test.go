package blobfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := WriteFileAtomic(path, 0o640, []byte("one")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteAtomic(path, 0o644, true, func(f *os.File) error {
		_, _ = f.WriteString("half")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the write's error", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "one" {
		t.Errorf("a failed write changed the file: %q", data)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the directory, want only f (no temp file)", len(entries))
	}
}

func TestVerifyAndLinkReplace(t *testing.T) {
	dir := t.TempDir()
	data := []byte("blob")
	desc := ocispec.Descriptor{Digest: digest.FromBytes(data), Size: int64(len(data))}
	src := filepath.Join(dir, "blobs", "sha256", desc.Digest.Encoded())
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if !Verify(context.Background(), src, desc) {
		t.Fatal("a good blob does not verify")
	}
	dst := filepath.Join(dir, "copy")
	if err := os.WriteFile(dst, []byte("damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	if Verify(context.Background(), dst, desc) {
		t.Fatal("a damaged blob verifies")
	}
	if err := LinkReplace(src, dst); err != nil || !SameFile(src, dst) || !Verify(context.Background(), dst, desc) {
		t.Fatalf("LinkReplace: %v; same file %v", err, SameFile(src, dst))
	}
	if err := LinkReplace(src, dst); err != nil {
		t.Fatalf("LinkReplace onto itself: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Verify(ctx, src, desc) {
		t.Error("Verify with a cancelled context reports success")
	}
}
