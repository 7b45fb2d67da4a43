package output_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/tartest"
	"github.com/ybuild/ybuild/output"
)

// TestParseLocal parses every local transport, writes through the writer
// and checks what landed where: relative paths against Options.Dir,
// absolute ones as they are, the ref after the path.
func TestParseLocal(t *testing.T) {
	img := scratchImage(t, "hi\n")
	abs := t.TempDir()
	for _, tc := range []struct {
		name string
		dest string
		tags []string
		path string // where the output must be, relative to Options.Dir unless absolute
		kind string // layout, oci-archive, docker-archive
		ref  string // layout/oci-archive ref name, or the docker-archive name
	}{
		{"layout", "oci:out", nil, "out", "layout", "latest"},
		{"layout ref", "oci:out:v1", []string{"app:2"}, "out", "layout", "v1"},
		{"layout tag", "oci:out", []string{"app:2"}, "out", "layout", "2"},
		{"layout nested", "oci:a/b/../c/out", nil, "a/c/out", "layout", "latest"},
		{"layout absolute", "oci:" + filepath.Join(abs, "lay") + ":x", nil, filepath.Join(abs, "lay"), "layout", "x"},
		{"oci archive", "oci-archive:img.tar", nil, "img.tar", "oci-archive", "latest"},
		{"oci archive ref", "oci-archive:img.tar:v3", []string{"app:2"}, "img.tar", "oci-archive", "v3"},
		{"oci archive tag", "oci-archive:sub/img.tar", []string{"app:2"}, "sub/img.tar", "oci-archive", "2"},
		{"oci archive absolute", "oci-archive:" + filepath.Join(abs, "a.tar"), nil, filepath.Join(abs, "a.tar"), "oci-archive", "latest"},
		{"docker archive", "docker-archive:img.tar", []string{"app:2"}, "img.tar", "docker-archive", "docker.io/library/app:2"},
		{"docker archive no tags", "docker-archive:img.tar", nil, "img.tar", "docker-archive", "localhost/hello:latest"},
		{"docker archive name:tag", "docker-archive:img.tar:name:tag", []string{"app:2"}, "img.tar", "docker-archive", "docker.io/library/name:tag"},
		{"docker archive registry", "docker-archive:img.tar:localhost:5000/a/b:c", nil, "img.tar", "docker-archive", "localhost:5000/a/b:c"},
		{"docker archive absolute", "docker-archive:" + filepath.Join(abs, "d.tar") + ":n:1", nil, filepath.Join(abs, "d.tar"), "docker-archive", "docker.io/library/n:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			res := write(t, tc.dest, output.Options{Dir: dir, Tags: tc.tags, Name: "hello"}, img)
			p := tc.path
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, filepath.FromSlash(p))
			}
			if res.Dest != tc.dest || res.Ref != tc.ref {
				t.Errorf("result %+v, want dest %q ref %q", res, tc.dest, tc.ref)
			}
			var idx ocispec.Index
			switch tc.kind {
			case "layout":
				idx = readLayoutIndex(t, p)
			default:
				entries := tartest.ReadFile(t, p)
				if err := json.Unmarshal(tartest.File(t, entries, "index.json"), &idx); err != nil {
					t.Fatal(err)
				}
				var mj []dockerManifest
				_, hasManifest := findEntry(entries, "manifest.json")
				if hasManifest != (tc.kind == "docker-archive") {
					t.Fatalf("manifest.json present: %v, kind %s", hasManifest, tc.kind)
				}
				if hasManifest {
					if err := json.Unmarshal(tartest.File(t, entries, "manifest.json"), &mj); err != nil {
						t.Fatal(err)
					}
					if len(mj) != 1 || !slices.Equal(mj[0].RepoTags, []string{tc.ref}) {
						t.Errorf("RepoTags %+v, want %q", mj, tc.ref)
					}
				}
			}
			if len(idx.Manifests) != 1 {
				t.Fatalf("index.json has %d entries", len(idx.Manifests))
			}
			ann := idx.Manifests[0].Annotations
			if tc.kind == "docker-archive" {
				if ann["io.containerd.image.name"] != tc.ref {
					t.Errorf("io.containerd.image.name %q, want %q", ann["io.containerd.image.name"], tc.ref)
				}
			} else if ann[ocispec.AnnotationRefName] != tc.ref {
				t.Errorf("ref name %q, want %q", ann[ocispec.AnnotationRefName], tc.ref)
			}
		})
	}
}

// findEntry returns the entry name of an archive.
func findEntry(entries []tartest.Entry, name string) (tartest.Entry, bool) {
	for _, e := range entries {
		if e.Header.Name == name {
			return e, true
		}
	}
	return tartest.Entry{}, false
}

// TestParseRegistry checks that docker:// destinations parse without
// touching the network or the disk.
func TestParseRegistry(t *testing.T) {
	for _, dest := range []string{"docker://127.0.0.1:5000/app:1", "docker://app", "docker://ghcr.io/o/app:v1"} {
		dir := t.TempDir()
		if _, err := output.Parse(dest, output.Options{Dir: dir}); err != nil {
			t.Errorf("Parse(%q): %v", dest, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("Parse(%q) wrote %v", dest, entries)
		}
	}
}

// TestParseErrors checks that bad destinations are usage errors and that
// Parse writes nothing.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		dest string
		tags []string
	}{
		{"empty", "", nil},
		{"bare path", "build/out", nil},
		{"absolute path", "/tmp/out", nil},
		{"unknown transport", "dir:out", nil},
		{"containers-storage", "containers-storage:app", nil},
		{"docker without slashes", "docker:app", nil},
		{"uppercase transport", "OCI:out", nil},
		{"oci no path", "oci:", nil},
		{"oci empty path with ref", "oci::v1", nil},
		{"oci ref with slash", "oci:out:a/b", nil},
		{"oci ref with at", "oci:out:a@b", nil},
		{"oci-archive no path", "oci-archive:", nil},
		{"oci-archive empty path with ref", "oci-archive::v1", nil},
		{"oci-archive ref with slash", "oci-archive:img.tar:repo/x", nil},
		{"docker-archive no path", "docker-archive:", nil},
		{"docker-archive empty path with name", "docker-archive::app:1", nil},
		{"docker-archive bad name", "docker-archive:img.tar:UPPER:1", nil},
		{"docker-archive bad tag", "docker-archive:img.tar:app:bad tag", nil},
		{"docker-archive digest", "docker-archive:img.tar:app@sha256:" + sixtyFourZeros, nil},
		{"docker-archive bad spec tag", "docker-archive:img.tar", []string{"app:1", "Bad/Name"}},
		{"docker-archive spec tag with digest", "docker-archive:img.tar", []string{"app@sha256:" + sixtyFourZeros}},
		{"docker no ref", "docker://", nil},
		{"docker bad ref", "docker://app/UPPER", nil},
		{"docker bad tag", "docker://app:bad tag", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w, err := output.Parse(tc.dest, output.Options{Dir: dir, Tags: tc.tags})
			if !errors.Is(err, output.ErrUsage) {
				t.Fatalf("Parse(%q) = %v, %v; want ErrUsage", tc.dest, w, err)
			}
			if !strings.Contains(err.Error(), tc.dest) {
				t.Errorf("the error does not name the destination %q: %v", tc.dest, err)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("Parse wrote %v", entries)
			}
		})
	}
}

const sixtyFourZeros = "0000000000000000000000000000000000000000000000000000000000000000"
