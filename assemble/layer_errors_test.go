package assemble

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ybuild/ybuild/spec"
)

func TestWriteLayerErrors(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"secret": "s"})
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"a/x": "1", "b/x": "2", "f": "f", "wh/.wh.bad": "w",
		"esc": "->" + filepath.Join(outside, "secret"), "escdir": "->" + outside,
	})
	cases := []struct {
		name    string
		files   []spec.File
		format  spec.Format
		comp    spec.Compression
		wantErr error
		wantMsg string
	}{
		{name: "duplicate names both sources", wantErr: ErrDuplicate, wantMsg: `files[0] "a/x" and files[1] "b/x"`,
			files: []spec.File{{Src: "a", Dst: "/d"}, {Src: "b", Dst: "/d"}}},
		{name: "duplicate inline", wantErr: ErrDuplicate, wantMsg: "files[0] content and files[1] symlink",
			files: []spec.File{{Dst: "/x", Content: str("")}, {Dst: "/x", Symlink: "y"}}},
		{name: "dotdot src", wantErr: ErrEscape, files: []spec.File{{Src: "../x", Dst: "/x"}}},
		{name: "absolute src", wantErr: ErrEscape, files: []spec.File{{Src: "/etc/passwd", Dst: "/x"}}},
		{name: "symlinked file escape", wantErr: ErrEscape, files: []spec.File{{Src: "esc", Dst: "/x"}}},
		{name: "symlinked dir escape", wantErr: ErrEscape, files: []spec.File{{Src: "escdir/secret", Dst: "/x"}}},
		{name: "glob through escape", wantErr: ErrEscape, files: []spec.File{{Src: "esc*", Dst: "/x/"}}},
		{name: "glob no match", wantErr: ErrNoMatch, files: []spec.File{{Src: "nothing*", Dst: "/x/"}}},
		{name: "whiteout name in tree", wantErr: ErrInvalidPath, files: []spec.File{{Src: "wh", Dst: "/w"}}},
		{name: "whiteout dst", wantErr: ErrInvalidPath, files: []spec.File{{Dst: "/.wh.x", Content: str("")}}},
		{name: "below a file", wantErr: ErrNotDir, wantMsg: `"f/g"`,
			files: []spec.File{{Src: "f", Dst: "/f"}, {Dst: "/f/g", Content: str("")}}},
		{name: "below a symlink", wantErr: ErrNotDir,
			files: []spec.File{{Dst: "/l", Symlink: "/etc"}, {Dst: "/l/passwd", Content: str("")}}},
		{name: "bad owner", wantErr: ErrBadAttr, files: []spec.File{{Dst: "/x", Content: str(""), Attrs: spec.Attrs{Owner: "root"}}}},
		{name: "bad mode", wantErr: ErrBadAttr, files: []spec.File{{Dst: "/x", Content: str(""), Mode: "0999"}}},
		{name: "docker zstd", wantErr: ErrUnsupported, format: spec.FormatDocker, comp: spec.CompressionZstd,
			files: []spec.File{{Dst: "/x", Content: str("")}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := testEnv(t, dir)
			if c.format != "" {
				env.format, env.compression = c.format, c.comp
			}
			_, err := writeLayer(context.Background(), spec.Layer{Name: "static", Files: c.files}, env)
			if !errors.Is(err, c.wantErr) || !strings.Contains(err.Error(), c.wantMsg) {
				t.Fatalf("got %v, want %v containing %q", err, c.wantErr, c.wantMsg)
			}
			assertNoTemp(t, env.BlobDir)
		})
	}
}

func TestWriteLayerCancel(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	writeTree(t, dir, map[string]string{"a": big, "b": big, "c": big})
	l := spec.Layer{Files: []spec.File{{Src: ".", Dst: "/"}}}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	env := testEnv(t, dir)
	if _, err := writeLayer(ctx, l, env); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled before: %v", err)
	}
	assertNoTemp(t, env.BlobDir)

	// Cancel in the middle of copying a file.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	env = testEnv(t, dir)
	env.Progress = func(string, int64) (func(int64), func(int64)) {
		return func(int64) { cancel() }, func(int64) {}
	}
	if _, err := writeLayer(ctx, l, env); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled during copy: %v", err)
	}
	assertNoTemp(t, env.BlobDir)
}

func TestWriteLayerProgressAndExisting(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a": "12345", "b/c": "678"})
	l := spec.Layer{Name: "static", Files: []spec.File{{Src: ".", Dst: "/x"}, {Dst: "/y", Content: str("90")}}}
	env := testEnv(t, dir)
	var gotName string
	var total, sum, doneSize int64
	dones := 0
	env.Progress = func(name string, n int64) (func(int64), func(int64)) {
		gotName, total = name, n
		return func(d int64) { sum += d }, func(size int64) { dones++; doneSize = size }
	}
	first, _ := mustWrite(t, l, env)
	if gotName != "static" || total != 10 || sum != 10 || dones != 1 {
		t.Errorf("progress %q total %d sum %d dones %d", gotName, total, sum, dones)
	}
	if doneSize != first.Desc.Size {
		t.Errorf("done reported %d bytes, want the blob's size %d (not the %d content bytes)", doneSize, first.Desc.Size, sum)
	}
	second, _ := mustWrite(t, l, env) // the blob exists: kept, temp removed
	if !reflect.DeepEqual(first, second) {
		t.Errorf("second write: %+v != %+v", second, first)
	}
	assertNoTemp(t, env.BlobDir)
}

// assertNoTemp fails if anything but finished blobs is left in blobDir.
func assertNoTemp(t *testing.T, blobDir string) {
	t.Helper()
	filepath.WalkDir(blobDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".") {
			t.Errorf("left behind: %s", p)
		}
		return nil
	})
}
