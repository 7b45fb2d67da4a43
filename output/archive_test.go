package output_test

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/internal/tartest"
	"github.com/ybuild/ybuild/internal/treetest"
	"github.com/ybuild/ybuild/output"
)

// dockerManifest is one entry of a docker archive's manifest.json.
type dockerManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// blobName is the path of d inside an archive.
func blobName(d ocispec.Descriptor) string {
	return "blobs/" + d.Digest.Algorithm().String() + "/" + d.Digest.Encoded()
}

// checkEntries checks that the archive holds exactly names (plus blob
// directories), sorted, with fixed headers, and that every blob entry
// holds its digest's content.
func checkEntries(t *testing.T, entries []tartest.Entry, blobs []ocispec.Descriptor, files ...string) {
	t.Helper()
	want := []string{"blobs/", "blobs/sha256/"}
	for _, d := range blobs {
		want = append(want, blobName(d))
	}
	want = append(want, files...)
	slices.Sort(want)
	want = slices.Compact(want)
	var got []string
	for _, e := range entries {
		got = append(got, e.Header.Name)
		h := e.Header
		mode, typ := int64(0o644), byte(tar.TypeReg)
		if h.Name[len(h.Name)-1] == '/' {
			mode, typ = 0o755, tar.TypeDir
		}
		if h.Typeflag != typ || h.Mode != mode || h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" ||
			!h.ModTime.Equal(time.Unix(0, 0)) || !h.AccessTime.IsZero() || !h.ChangeTime.IsZero() || len(h.PAXRecords) != 0 {
			t.Errorf("%s: header type %c mode %o uid %d gid %d user %q group %q mtime %v atime %v ctime %v pax %v",
				h.Name, h.Typeflag, h.Mode, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime, h.AccessTime, h.ChangeTime, h.PAXRecords)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("entries\n%q\nwant (sorted)\n%q", got, want)
	}
	for _, d := range blobs {
		data := tartest.File(t, entries, blobName(d))
		if int64(len(data)) != d.Size || digest.FromBytes(data) != d.Digest {
			t.Errorf("blob %s: content does not match", d.Digest)
		}
	}
}

// dockerBlobs are the blobs a docker archive of img's only manifest holds.
func dockerBlobs(img *assemble.Image) []ocispec.Descriptor {
	m := img.Manifests[0]
	return append([]ocispec.Descriptor{m.Desc, m.Config}, m.Layers...)
}

// TestOCIArchive writes OCI archives of a manifest and of an index, checks
// their entries and index.json, reads them back, and checks that writing
// again gives the same bytes.
func TestOCIArchive(t *testing.T) {
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
			root := t.TempDir()
			file := filepath.Join(root, "sub", "img.tar")
			opts := output.Options{Tags: []string{"app:1.0"}, Name: "hello"}
			res := write(t, "oci-archive:"+file, opts, img)
			if want := (output.Result{Dest: "oci-archive:" + file, Ref: "1.0", Digest: img.Desc.Digest}); res != want {
				t.Errorf("result %+v, want %+v", res, want)
			}
			entries := tartest.ReadFile(t, file)
			checkEntries(t, entries, img.Blobs(), "index.json", "oci-layout")
			if got := string(tartest.File(t, entries, "oci-layout")); got != `{"imageLayoutVersion":"1.0.0"}` {
				t.Errorf("oci-layout %s", got)
			}
			var idx ocispec.Index
			if err := json.Unmarshal(tartest.File(t, entries, "index.json"), &idx); err != nil {
				t.Fatal(err)
			}
			if idx.SchemaVersion != 2 || idx.MediaType != ocispec.MediaTypeImageIndex || len(idx.Manifests) != 1 {
				t.Fatalf("index.json %+v", idx)
			}
			if e := idx.Manifests[0]; e.Digest != img.Desc.Digest || e.MediaType != img.Desc.MediaType || e.Annotations[ocispec.AnnotationRefName] != "1.0" {
				t.Errorf("index entry %+v", e)
			}
			if got := openDigest(t, "oci-archive:"+file+":1.0"); got != img.Desc.Digest {
				t.Errorf("resolve reads %s, want %s", got, img.Desc.Digest)
			}

			sum := fileSum(t, file)
			write(t, "oci-archive:"+file, opts, img) // over the first
			other := filepath.Join(root, "again.tar")
			write(t, "oci-archive:"+other, opts, img)
			if fileSum(t, file) != sum || fileSum(t, other) != sum {
				t.Error("writing the same image again gives different bytes")
			}
			noLeftovers(t, root)
		})
	}
}

// TestDockerArchive checks a docker archive's entries, manifest.json and
// index.json, reads it back, and checks that writing again gives the same
// bytes.
func TestDockerArchive(t *testing.T) {
	img := newFixture(t).image(t, "hello\n")
	root := t.TempDir()
	file := filepath.Join(root, "img.tar")
	opts := output.Options{Tags: []string{"app:1.0", "registry.example.com:5000/team/app"}}
	m := img.Manifests[0]
	res := write(t, "docker-archive:"+file, opts, img)
	if want := (output.Result{Dest: "docker-archive:" + file, Ref: "docker.io/library/app:1.0", Digest: m.Desc.Digest}); res != want {
		t.Errorf("result %+v, want %+v", res, want)
	}
	entries := tartest.ReadFile(t, file)
	checkEntries(t, entries, dockerBlobs(img), "index.json", "manifest.json", "oci-layout")

	var mj []dockerManifest
	if err := json.Unmarshal(tartest.File(t, entries, "manifest.json"), &mj); err != nil {
		t.Fatal(err)
	}
	names := []string{"docker.io/library/app:1.0", "registry.example.com:5000/team/app:latest"}
	var layers []string
	for _, l := range m.Layers {
		layers = append(layers, blobName(l))
	}
	if len(mj) != 1 || mj[0].Config != blobName(m.Config) || !slices.Equal(mj[0].Layers, layers) || !slices.Equal(mj[0].RepoTags, names) {
		t.Fatalf("manifest.json %+v\nwant config %s layers %v tags %v", mj, blobName(m.Config), layers, names)
	}

	var idx ocispec.Index
	if err := json.Unmarshal(tartest.File(t, entries, "index.json"), &idx); err != nil {
		t.Fatal(err)
	}
	if idx.SchemaVersion != 2 || len(idx.Manifests) != len(names) {
		t.Fatalf("index.json %+v", idx)
	}
	for i, e := range idx.Manifests {
		if e.Digest != m.Desc.Digest || e.MediaType != m.Desc.MediaType ||
			e.Annotations["io.containerd.image.name"] != names[i] || e.Annotations[ocispec.AnnotationRefName] != []string{"1.0", "latest"}[i] {
			t.Errorf("index entry %d: %+v", i, e)
		}
	}
	if got := string(tartest.File(t, entries, "oci-layout")); got != `{"imageLayoutVersion":"1.0.0"}` {
		t.Errorf("oci-layout %s", got)
	}
	for _, n := range names {
		if got := openDigest(t, "docker-archive:"+file+":"+n); got != m.Desc.Digest {
			t.Errorf("resolve %s reads %s, want %s", n, got, m.Desc.Digest)
		}
	}

	sum := fileSum(t, file)
	write(t, "docker-archive:"+file, opts, img)
	other := filepath.Join(root, "again.tar")
	write(t, "docker-archive:"+other, opts, img)
	if fileSum(t, file) != sum || fileSum(t, other) != sum {
		t.Error("writing the same image again gives different bytes")
	}
	noLeftovers(t, root)
}

// TestDockerArchiveNames checks RepoTags and io.containerd.image.name:
// tags fully qualified, the destination's NAME:TAG replacing them, and
// localhost/NAME:latest without tags.
func TestDockerArchiveNames(t *testing.T) {
	img := scratchImage(t, "hi\n")
	for _, tc := range []struct {
		name   string
		suffix string
		opts   output.Options
		want   []string
	}{
		{"short name", "", output.Options{Tags: []string{"x:tag"}}, []string{"docker.io/library/x:tag"}},
		{"no tag part", "", output.Options{Tags: []string{"x"}}, []string{"docker.io/library/x:latest"}},
		{"user repo", "", output.Options{Tags: []string{"me/x:2"}}, []string{"docker.io/me/x:2"}},
		{"several", "", output.Options{Tags: []string{"x:1", "ghcr.io/o/x:1", "localhost:5000/x:1"}},
			[]string{"docker.io/library/x:1", "ghcr.io/o/x:1", "localhost:5000/x:1"}},
		{"no tags", "", output.Options{Name: "hello"}, []string{"localhost/hello:latest"}},
		{"dest name:tag", ":other/name:2", output.Options{Tags: []string{"x:1", "y:2"}}, []string{"docker.io/other/name:2"}},
		{"dest name", ":name", output.Options{Tags: []string{"x:1"}}, []string{"docker.io/library/name:latest"}},
		{"dest with port", ":localhost:5000/a/b:c", output.Options{}, []string{"localhost:5000/a/b:c"}},
		{"empty dest ref", ":", output.Options{Tags: []string{"x:1"}}, []string{"docker.io/library/x:1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "img.tar")
			res := write(t, "docker-archive:"+file+tc.suffix, tc.opts, img)
			if res.Ref != tc.want[0] {
				t.Errorf("result ref %q, want %q", res.Ref, tc.want[0])
			}
			entries := tartest.ReadFile(t, file)
			var mj []dockerManifest
			if err := json.Unmarshal(tartest.File(t, entries, "manifest.json"), &mj); err != nil {
				t.Fatal(err)
			}
			if len(mj) != 1 || !slices.Equal(mj[0].RepoTags, tc.want) {
				t.Errorf("RepoTags %+v, want %q", mj, tc.want)
			}
			var idx ocispec.Index
			if err := json.Unmarshal(tartest.File(t, entries, "index.json"), &idx); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range idx.Manifests {
				got = append(got, e.Annotations["io.containerd.image.name"])
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("io.containerd.image.name %q, want %q", got, tc.want)
			}
		})
	}
}

// TestDockerArchiveMultiPlatform checks that an index build is refused
// with ErrPlatforms and nothing is written or replaced.
func TestDockerArchiveMultiPlatform(t *testing.T) {
	f := newFixture(t)
	img := f.imageAll(t, "hello\n")
	root := t.TempDir()
	file := filepath.Join(root, "img.tar")
	err := tryWrite(t, context.Background(), "docker-archive:"+file, output.Options{}, img)
	if !errors.Is(err, output.ErrPlatforms) || !errors.Is(err, output.ErrUsage) {
		t.Fatalf("got %v, want ErrPlatforms (and ErrUsage)", err)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
	write(t, "docker-archive:"+file, output.Options{}, f.image(t, "old\n"))
	sum := fileSum(t, file)
	if err := tryWrite(t, context.Background(), "docker-archive:"+file, output.Options{}, img); !errors.Is(err, output.ErrPlatforms) {
		t.Fatalf("got %v, want ErrPlatforms", err)
	}
	if fileSum(t, file) != sum {
		t.Error("the previous archive changed")
	}
	noLeftovers(t, root)
}

// TestArchiveFailureKeepsPrevious checks that a failed write (a corrupt
// base blob, a cancelled context) leaves the previous archive byte for
// byte, and no temporary file.
func TestArchiveFailureKeepsPrevious(t *testing.T) {
	f := newFixture(t)
	img := f.image(t, "hello\n")
	prev := scratchImage(t, "prev\n")
	root := t.TempDir()
	var files []string
	for _, tr := range []string{"oci-archive", "docker-archive"} {
		file := filepath.Join(root, tr+".tar")
		files = append(files, file)
		write(t, tr+":"+file, output.Options{}, prev)
	}
	sums := map[string]string{}
	for _, file := range files {
		sums[file] = fileSum(t, file)
	}
	check := func(t *testing.T, ctx func() context.Context, want error) {
		t.Helper()
		for i, tr := range []string{"oci-archive", "docker-archive"} {
			if err := tryWrite(t, ctx(), tr+":"+files[i], output.Options{}, img); !errors.Is(err, want) {
				t.Errorf("%s: got %v, want %v", tr, err, want)
			}
			if fileSum(t, files[i]) != sums[files[i]] {
				t.Errorf("%s: the previous archive changed", tr)
			}
			// A new archive is not created either.
			fresh := filepath.Join(root, tr+"-fresh.tar")
			if err := tryWrite(t, ctx(), tr+":"+fresh, output.Options{}, img); !errors.Is(err, want) {
				t.Errorf("%s (new file): got %v, want %v", tr, err, want)
			}
			if _, err := os.Stat(fresh); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s: a failed write left a file (%v)", tr, err)
			}
		}
		noLeftovers(t, root)
	}
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		check(t, func() context.Context { return ctx }, context.Canceled)
	})
	for _, n := range []int64{0, 2, 5} {
		t.Run(fmt.Sprintf("cancelled after %d checks", n), func(t *testing.T) {
			check(t, func() context.Context { return newCountdown(n) }, context.Canceled)
		})
	}
	t.Run("corrupt base blob", func(t *testing.T) {
		corruptBlob(t, f.base, baseLayer(t, img))
		check(t, context.Background, imageio.ErrDigestMismatch)
	})
}

// TestArchiveDestIsDirectory checks that an archive is not written over a directory.
func TestArchiveDestIsDirectory(t *testing.T) {
	img := scratchImage(t, "hi\n")
	root := t.TempDir()
	for _, tr := range []string{"oci-archive", "docker-archive"} {
		dir := filepath.Join(root, tr)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		before := treetest.Snapshot(t, root)
		if err := tryWrite(t, context.Background(), tr+":"+dir, output.Options{}, img); !errors.Is(err, output.ErrUsage) {
			t.Errorf("%s: got %v, want ErrUsage", tr, err)
		}
		treetest.Same(t, tr, before, treetest.Snapshot(t, root))
	}
}

// TestArchiveModesIgnoreUmask writes archives under umask 077: the files
// are 0644.
func TestArchiveModesIgnoreUmask(t *testing.T) {
	withUmask(t, 0o077)
	img := scratchImage(t, "hi\n")
	root := t.TempDir()
	for _, tr := range []string{"oci-archive", "docker-archive"} {
		file := filepath.Join(root, tr+".tar")
		write(t, tr+":"+file, output.Options{}, img)
		fi, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != 0o644 {
			t.Errorf("%s: mode %v, want -rw-r--r--", tr, fi.Mode())
		}
	}
}
