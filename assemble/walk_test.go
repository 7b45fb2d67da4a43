package assemble

import (
	"archive/tar"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ybuild/ybuild/spec"
)

// secret is the content of the file outside the spec directory that a
// swapped directory points at; it has the size of the inside file.
const (
	insideContent = "inside: the file the spec means!\n"
	secretContent = "SECRET from outside the context!\n"
)

// swapTree makes ROOT/ctx/app/sub/file.txt and ROOT/secret/file.txt (same
// size) and returns ROOT/ctx and functions that swap ctx/app/sub for a
// symlink to ../../secret and back.
func swapTree(t *testing.T) (ctx string, toLink, toDir func() error) {
	t.Helper()
	if len(insideContent) != len(secretContent) {
		t.Fatal("contents must have one size")
	}
	root := t.TempDir()
	ctx = filepath.Join(root, "ctx")
	writeTree(t, ctx, map[string]string{"app/sub/file.txt": insideContent, "app/top.txt": "top\n"})
	writeTree(t, root, map[string]string{"secret/file.txt": secretContent})
	sub, real := filepath.Join(ctx, "app", "sub"), filepath.Join(ctx, "app", ".sub-real")
	toLink = func() error {
		if err := os.Rename(sub, real); err != nil {
			return err
		}
		return os.Symlink("../../secret", sub)
	}
	toDir = func() error {
		if err := os.Remove(sub); err != nil {
			return err
		}
		return os.Rename(real, sub)
	}
	return ctx, toLink, toDir
}

// TestSwapAfterWalkFailsTheBuild swaps a walked directory for a symlink to
// outside the spec directory between the walk and the copy: the file that
// would be read there has the walked file's name and size, and must not
// be read.
func TestSwapAfterWalkFailsTheBuild(t *testing.T) {
	ctxDir, toLink, _ := swapTree(t)
	env := testEnv(t, ctxDir)
	sd, err := openSpecDir(ctxDir)
	if err != nil {
		t.Fatal(err)
	}
	defer sd.close()
	l := spec.Layer{Files: []spec.File{{Src: "app", Dst: "/app/"}}}
	es, err := collect(context.Background(), l, env, sd, &spool{})
	if err != nil {
		t.Fatal(err)
	}
	if err := toLink(); err != nil {
		t.Fatal(err)
	}
	es, err = finish(context.Background(), es, false, ancestors(nil, meta{}))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	err = writeEntries(context.Background(), tarTo(&out), es, func(int64) {})
	if !errors.Is(err, ErrSourceChanged) {
		t.Fatalf("err = %v, want ErrSourceChanged", err)
	}
	if strings.Contains(out.String(), "SECRET") {
		t.Fatal("the layer holds the outside file")
	}
}

// TestSwapDuringBuildNeverLeaks builds while another goroutine keeps
// swapping a directory of the tree for a symlink to outside: every build
// either fails with a clear error or holds the inside file, never the
// outside one.
func TestSwapDuringBuildNeverLeaks(t *testing.T) {
	ctxDir, toLink, toDir := swapTree(t)
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			if toLink() != nil {
				t.Error("swap failed")
				return
			}
			time.Sleep(50 * time.Microsecond)
			if toDir() != nil {
				t.Error("swap failed")
				return
			}
			time.Sleep(200 * time.Microsecond)
		}
	}()
	defer func() { stop.Store(true); wg.Wait() }()
	l := spec.Layer{Files: []spec.File{{Src: "app", Dst: "/app/"}, {Src: "app/sub/file.txt", Dst: "/direct.txt"}}}
	ok, failed := 0, 0
	for range 150 {
		out, err := writeLayer(context.Background(), l, testEnv(t, ctxDir))
		if err != nil {
			failed++
			if !errors.Is(err, ErrSourceChanged) && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, ErrEscape) {
				t.Fatalf("unexpected error: %v", err)
			}
			continue
		}
		ok++
		for _, e := range readLayer(t, out) {
			if strings.Contains(e.body, "SECRET") || strings.Contains(e.h.Name, "secret") {
				t.Fatalf("build %d: %s holds the outside file", ok+failed, e.h.Name)
			}
		}
	}
	t.Logf("%d builds, %d failed on the swap", ok+failed, failed)
}

func TestSpecialFilesAsSrcRefused(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"ok.txt": "ok"})
	if err := syscall.Mkfifo(filepath.Join(dir, "a.pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", filepath.Join(dir, "b.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, f := range []spec.File{
		{Src: "a.pipe", Dst: "/x"}, {Src: "b.sock", Dst: "/x"}, {Src: "*.pipe", Dst: "/x/"}, {Src: "*.sock", Dst: "/x/"},
		{Src: "/dev/null", Dst: "/x"},
	} {
		_, err := writeLayer(context.Background(), spec.Layer{Files: []spec.File{f}}, testEnv(t, dir))
		want := ErrUnsupported
		if f.Src == "/dev/null" {
			want = ErrEscape
		}
		if !errors.Is(err, want) {
			t.Errorf("src %s: err = %v, want %v", f.Src, err, want)
		}
	}
}

// tarTo is a tar writer into w.
func tarTo(w *strings.Builder) *tar.Writer { return tar.NewWriter(w) }
