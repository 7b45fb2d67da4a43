package output_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/internal/testbase"
	"github.com/ybuild/ybuild/internal/treetest"
	"github.com/ybuild/ybuild/output"
)

// TestLayoutNewDir writes a layout into a directory that does not exist
// yet (nor do its parents) and reads it back.
func TestLayoutNewDir(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		all  bool
	}{{"manifest", false}, {"index", true}} {
		t.Run(tc.name, func(t *testing.T) {
			img := f.image(t, "hello\n")
			if tc.all {
				img = f.imageAll(t, "hello\n")
			}
			parent := filepath.Join(t.TempDir(), "a", "b")
			dir := filepath.Join(parent, "out")
			res := write(t, "oci:"+dir, output.Options{}, img)
			want := output.Result{Dest: "oci:" + dir, Ref: "latest", Digest: img.Desc.Digest}
			if res != want {
				t.Errorf("result %+v, want %+v", res, want)
			}
			marker, err := os.ReadFile(filepath.Join(dir, "oci-layout"))
			if err != nil || string(marker) != `{"imageLayoutVersion":"1.0.0"}` {
				t.Errorf("oci-layout %q, %v", marker, err)
			}
			idx := readLayoutIndex(t, dir)
			if idx.SchemaVersion != 2 || idx.MediaType != ocispec.MediaTypeImageIndex || len(idx.Manifests) != 1 {
				t.Fatalf("index.json: %+v", idx)
			}
			e := idx.Manifests[0]
			if e.Digest != img.Desc.Digest || e.Size != img.Desc.Size || e.MediaType != img.Desc.MediaType || e.Annotations[ocispec.AnnotationRefName] != "latest" {
				t.Errorf("index entry %+v, want %s (%s) named latest", e, img.Desc.Digest, img.Desc.MediaType)
			}
			checkLayoutBlobs(t, dir, img)
			if got := openDigest(t, "oci:"+dir+":latest"); got != img.Desc.Digest {
				t.Errorf("resolve reads %s, want %s", got, img.Desc.Digest)
			}
			entries, err := os.ReadDir(parent)
			if err != nil || len(entries) != 1 || entries[0].Name() != "out" {
				t.Errorf("parent holds %v (%v), want only out", entries, err)
			}
			noLeftovers(t, parent)
		})
	}
}

// TestLayoutLinksNewLayers checks that a new layer is hard-linked from the
// build's work directory rather than copied.
func TestLayoutLinksNewLayers(t *testing.T) {
	img := newFixture(t).image(t, "hello\n")
	dir := filepath.Join(t.TempDir(), "out")
	write(t, "oci:"+dir, output.Options{}, img)
	l := newLayer(t, img)
	a, err := os.Stat(img.Path(l))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.Stat(filepath.Join(dir, "blobs", "sha256", l.Digest.Encoded()))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(a, b) {
		t.Error("the new layer was copied, not hard-linked")
	}
}

// TestLayoutEmptyExistingDir writes into an empty directory.
func TestLayoutEmptyExistingDir(t *testing.T) {
	img := scratchImage(t, "hi\n")
	dir := filepath.Join(t.TempDir(), "out")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, "oci:"+dir+":v1", output.Options{}, img)
	if got := refs(t, readLayoutIndex(t, dir)); len(got) != 1 || got["v1"] != img.Desc.Digest {
		t.Errorf("refs %v", got)
	}
	checkLayoutBlobs(t, dir, img)
	noLeftovers(t, filepath.Dir(dir))
}

// TestLayoutRefusesOtherDirs checks that a destination which exists and is
// not an OCI layout is refused and left as it was.
func TestLayoutRefusesOtherDirs(t *testing.T) {
	img := scratchImage(t, "hi\n")
	for _, tc := range []struct {
		name  string
		files map[string]string
		file  bool // the destination is a file
	}{
		{name: "unrelated files", files: map[string]string{"notes.txt": "mine\n", "sub/x": "y"}},
		{name: "index.json without oci-layout", files: map[string]string{"index.json": `{"schemaVersion":2,"manifests":[]}`}},
		{name: "a file", file: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			dest := filepath.Join(root, "out")
			if tc.file {
				if err := os.WriteFile(dest, []byte("not a dir\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for name, data := range tc.files {
				p := filepath.Join(dest, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			before := treetest.Snapshot(t, root)
			err := tryWrite(t, context.Background(), "oci:"+dest, output.Options{}, img)
			if !errors.Is(err, output.ErrUsage) {
				t.Fatalf("got %v, want ErrUsage", err)
			}
			treetest.Same(t, "destination", before, treetest.Snapshot(t, root))
		})
	}
}

// TestLayoutRefs writes several refs into one layout: a second ref keeps
// the first, and writing a ref again replaces only that entry.
func TestLayoutRefs(t *testing.T) {
	f := newFixture(t)
	one, two, three := scratchImage(t, "one\n"), f.image(t, "two\n"), f.imageAll(t, "three\n")
	dir := filepath.Join(t.TempDir(), "out")
	write(t, "oci:"+dir+":one", output.Options{}, one)
	write(t, "oci:"+dir+":two", output.Options{}, two)
	want := map[string]digest.Digest{"one": one.Desc.Digest, "two": two.Desc.Digest}
	if got := refs(t, readLayoutIndex(t, dir)); !equalRefs(got, want) {
		t.Fatalf("after two writes: refs %v, want %v", got, want)
	}
	res := write(t, "oci:"+dir+":one", output.Options{}, three)
	if res.Ref != "one" || res.Digest != three.Desc.Digest {
		t.Errorf("result %+v", res)
	}
	want["one"] = three.Desc.Digest
	if got := refs(t, readLayoutIndex(t, dir)); !equalRefs(got, want) {
		t.Fatalf("after replacing one: refs %v, want %v", got, want)
	}
	checkLayoutBlobs(t, dir, one)
	checkLayoutBlobs(t, dir, two)
	checkLayoutBlobs(t, dir, three)
	for ref, d := range want {
		if got := openDigest(t, "oci:"+dir+":"+ref); got != d {
			t.Errorf("ref %s reads as %s, want %s", ref, got, d)
		}
	}
	// The same image under the same ref again: still one entry.
	write(t, "oci:"+dir+":two", output.Options{}, two)
	if got := refs(t, readLayoutIndex(t, dir)); !equalRefs(got, want) {
		t.Fatalf("after rewriting two: refs %v, want %v", got, want)
	}
	noLeftovers(t, filepath.Dir(dir))
}

// TestLayoutIntoForeignLayout writes into a layout another tool made (the
// testbase layout, with an index entry and an attestation): its entry is
// kept.
func TestLayoutIntoForeignLayout(t *testing.T) {
	img := scratchImage(t, "hi\n")
	dir := filepath.Join(t.TempDir(), "base")
	info := testbase.Layout(t, dir)
	write(t, "oci:"+dir+":mine", output.Options{}, img)
	want := map[string]digest.Digest{testbase.Ref: info.Index.Digest, "mine": img.Desc.Digest}
	if got := refs(t, readLayoutIndex(t, dir)); !equalRefs(got, want) {
		t.Fatalf("refs %v, want %v", got, want)
	}
	for ref, d := range want {
		if got := openDigest(t, "oci:"+dir+":"+ref); got != d {
			t.Errorf("ref %s reads as %s, want %s", ref, got, d)
		}
	}
}

func equalRefs(a, b map[string]digest.Digest) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestLayoutRefDefaults checks the ref name: the destination's :REF, else
// the tag of the first spec tag, else latest.
func TestLayoutRefDefaults(t *testing.T) {
	img := scratchImage(t, "hi\n")
	for _, tc := range []struct {
		name    string
		destRef string
		tags    []string
		want    string
	}{
		{"dest ref wins", ":v2", []string{"app:1"}, "v2"},
		{"first tag", "", []string{"app:1.2", "app:2"}, "1.2"},
		{"registry with port", "", []string{"localhost:5000/team/app:rc-1"}, "rc-1"},
		{"tag without tag part", "", []string{"app", "app:2"}, "latest"},
		{"no tags", "", nil, "latest"},
		{"empty dest ref", ":", []string{"app:3"}, "3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			res := write(t, "oci:"+dir+tc.destRef, output.Options{Tags: tc.tags, Name: "hello"}, img)
			if res.Ref != tc.want {
				t.Errorf("result ref %q, want %q", res.Ref, tc.want)
			}
			if got := refs(t, readLayoutIndex(t, dir)); len(got) != 1 || got[tc.want] != img.Desc.Digest {
				t.Errorf("refs %v, want %s", got, tc.want)
			}
		})
	}
}

// TestLayoutCorruptBaseBlob checks that a base blob whose content does not
// match its digest fails the write with ErrDigestMismatch and leaves no
// trace: no new layout, an existing layout's index.json unchanged.
func TestLayoutCorruptBaseBlob(t *testing.T) {
	f := newFixture(t)
	img := f.image(t, "hello\n")
	root := t.TempDir()
	existing := filepath.Join(root, "existing")
	keep := scratchImage(t, "keep\n")
	write(t, "oci:"+existing+":keep", output.Options{}, keep)
	before := treetest.Snapshot(t, root)

	corruptBlob(t, f.base, baseLayer(t, img))

	t.Run("new layout", func(t *testing.T) {
		dest := filepath.Join(root, "new")
		err := tryWrite(t, context.Background(), "oci:"+dest, output.Options{}, img)
		if !errors.Is(err, imageio.ErrDigestMismatch) {
			t.Fatalf("got %v, want ErrDigestMismatch", err)
		}
		if _, err := os.Stat(dest); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the layout exists after a failed write (%v)", err)
		}
		treetest.Same(t, "root", before, treetest.Snapshot(t, root))
	})
	t.Run("existing layout", func(t *testing.T) {
		err := tryWrite(t, context.Background(), "oci:"+existing+":new", output.Options{}, img)
		if !errors.Is(err, imageio.ErrDigestMismatch) {
			t.Fatalf("got %v, want ErrDigestMismatch", err)
		}
		if got := refs(t, readLayoutIndex(t, existing)); len(got) != 1 || got["keep"] != keep.Desc.Digest {
			t.Errorf("refs after a failed write: %v", got)
		}
		if got := openDigest(t, "oci:"+existing+":keep"); got != keep.Desc.Digest {
			t.Errorf("keep reads as %s", got)
		}
		noLeftovers(t, root)
		if _, err := os.Stat(filepath.Join(existing, "blobs", "sha256", baseLayer(t, img).Digest.Encoded())); err == nil {
			t.Error("the corrupt blob was written into the layout")
		}
	})
}

// TestLayoutReplacesCorruptBlob checks that a blob already in the layout
// with the right size but the wrong content is rewritten, not trusted.
func TestLayoutReplacesCorruptBlob(t *testing.T) {
	f := newFixture(t)
	img := f.image(t, "hello\n")
	dir := filepath.Join(t.TempDir(), "out")
	write(t, "oci:"+dir+":a", output.Options{}, img)
	for _, d := range []ocispec.Descriptor{baseLayer(t, img), img.Manifests[0].Config, newLayer(t, img)} {
		// The new layer is hard-linked: replace the layout's copy rather
		// than writing through the link into the build's work directory.
		p := filepath.Join(dir, "blobs", "sha256", d.Digest.Encoded())
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		data[0] ^= 0xff
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(t, "oci:"+dir+":b", output.Options{}, img)
	checkLayoutBlobs(t, dir, img)
	noLeftovers(t, filepath.Dir(dir))
}

// TestLayoutCancelled checks that a cancelled write, before it starts or
// part way through, leaves the previous output as it was.
func TestLayoutCancelled(t *testing.T) {
	f := newFixture(t)
	img := f.imageAll(t, "hello\n")
	t.Run("new layout", func(t *testing.T) {
		root := t.TempDir()
		dest := filepath.Join(root, "out")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := tryWrite(t, ctx, "oci:"+dest, output.Options{}, img); !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
		if entries, _ := os.ReadDir(root); len(entries) != 0 {
			t.Errorf("left behind: %v", entries)
		}
	})
	for _, n := range []int64{0, 1, 2, 3, 5, 8, 13} {
		t.Run(fmt.Sprintf("after %d checks", n), func(t *testing.T) {
			root := t.TempDir()
			dest := filepath.Join(root, "out")
			prev := scratchImage(t, "prev\n")
			write(t, "oci:"+dest+":prev", output.Options{}, prev)
			index, err := os.ReadFile(filepath.Join(dest, "index.json"))
			if err != nil {
				t.Fatal(err)
			}
			err = tryWrite(t, newCountdown(n), "oci:"+dest+":new", output.Options{}, img)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled after %d checks: got %v, want context.Canceled", n, err)
			}
			after, err := os.ReadFile(filepath.Join(dest, "index.json"))
			if err != nil || string(after) != string(index) {
				t.Errorf("index.json changed: %s (%v)", after, err)
			}
			noLeftovers(t, root)
			if got := openDigest(t, "oci:"+dest+":prev"); got != prev.Desc.Digest {
				t.Errorf("prev reads as %s", got)
			}
			// The new-layout path too: nothing is left.
			fresh := filepath.Join(root, "fresh")
			if err := tryWrite(t, newCountdown(n), "oci:"+fresh, output.Options{}, img); !errors.Is(err, context.Canceled) {
				t.Fatalf("new layout cancelled after %d checks: got %v", n, err)
			}
			if _, err := os.Stat(fresh); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a cancelled new layout exists (%v)", err)
			}
			noLeftovers(t, root)
		})
	}
}

// TestLayoutModesIgnoreUmask writes layouts under umask 077: files are
// still 0644 and the directories the writer makes 0755.
func TestLayoutModesIgnoreUmask(t *testing.T) {
	withUmask(t, 0o077)
	f := newFixture(t)
	img := f.image(t, "hello\n")
	root := t.TempDir()
	dir := filepath.Join(root, "out")
	write(t, "oci:"+dir+":a", output.Options{}, scratchImage(t, "first\n"))
	write(t, "oci:"+dir+":b", output.Options{}, img) // new blobs in an existing layout
	checkModes(t, dir)
	empty := filepath.Join(root, "empty")
	if err := os.Mkdir(empty, 0o700); err != nil {
		t.Fatal(err)
	}
	write(t, "oci:"+empty, output.Options{}, img)
	checkModes(t, empty)
}

// checkModes checks that every file under dir is 0644 and every directory 0755.
func checkModes(t *testing.T, dir string) {
	t.Helper()
	for p, v := range treetest.Snapshot(t, dir) {
		want := "-rw-r--r--"
		if p == "." || filepath.Base(p) == "blobs" || filepath.Base(p) == "sha256" {
			want = "drwxr-xr-x"
		}
		if v[:len(want)] != want || (len(v) > len(want) && v[len(want)] != ' ') {
			t.Errorf("%s: mode %s, want %s", p, v, want)
		}
	}
}
