package main

import (
	"github.com/ybuild/ybuild/internal/treetest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestCLIOutputs checks where the image goes: the spec's outputs relative
// to the spec, -o instead of them, or oci:build/<name> beside the spec.
func TestCLIOutputs(t *testing.T) {
	t.Parallel()
	withOutputs := cliSpec + "outputs: [oci:spec-layout, oci-archive:spec.tar]\n"
	for _, tc := range []struct {
		name, spec string
		flagOut    bool
		lines      []string // stdout destinations
		written    []string // files written beside the spec
	}{
		{"spec outputs", withOutputs, false, []string{"oci:spec-layout", "oci-archive:spec.tar"}, []string{"spec-layout/index.json", "spec.tar"}},
		{"-o replaces", withOutputs, true, nil, nil},
		{"default", cliSpec, false, []string{"oci:build/cli"}, []string{"build/cli/index.json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spec := cliSpecDir(t, map[string]string{"build.yaml": tc.spec})
			dir := filepath.Dir(spec)
			before := treetest.Snapshot(t, dir)
			args, lines := []string{"-f", spec}, tc.lines
			if tc.flagOut {
				dest := "oci:" + filepath.Join(t.TempDir(), "layout")
				args, lines = append(args, "-o", dest), []string{dest}
			}
			res := e2eResults(t, cliBuild(t, args...))
			if len(res) != len(lines) {
				t.Errorf("stdout results %v, want exactly %v", res, lines)
			}
			for _, l := range lines {
				if _, ok := res[l]; !ok {
					t.Errorf("stdout results %v, want one for %s", res, l)
				}
			}
			for _, w := range tc.written {
				if _, err := os.Stat(filepath.Join(dir, w)); err != nil {
					t.Errorf("want %s written beside the spec: %v", w, err)
				}
			}
			if len(tc.written) == 0 {
				treetest.Same(t, "spec directory with -o", before, treetest.Snapshot(t, dir))
			}
		})
	}
}

// TestCLITags checks that -t replaces the spec's tags: the docker archive's
// RepoTags and the layout's ref name follow it.
func TestCLITags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		flags    []string
		repoTags []string
		ref      string
	}{
		{"spec tags", nil, []string{"example.com/spec/cli:dev"}, "dev"},
		{"-t", []string{"-t", "other.example/team/x:2", "-t", "y:3"}, []string{"other.example/team/x:2", "docker.io/library/y:3"}, "2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := t.TempDir()
			archive, layout := filepath.Join(out, "image.tar"), filepath.Join(out, "layout")
			args := append([]string{"-f", cliSpecDir(t, map[string]string{"build.yaml": cliSpec}),
				"-o", "docker-archive:" + archive, "-o", "oci:" + layout}, tc.flags...)
			cliBuild(t, args...)
			var entries []struct{ RepoTags []string }
			e2eJSON(t, "manifest.json", cliTarFile(t, archive, "manifest.json"), &entries)
			if len(entries) != 1 || !slices.Equal(entries[0].RepoTags, tc.repoTags) {
				t.Errorf("manifest.json %+v, want one entry with RepoTags %v", entries, tc.repoTags)
			}
			idx := cliLayoutIndex(t, layout)
			if len(idx.Manifests) != 1 || idx.Manifests[0].Annotations[ocispec.AnnotationRefName] != tc.ref {
				t.Errorf("index.json %+v, want one entry with ref %s", idx.Manifests, tc.ref)
			}
		})
	}
}

// TestCLIArgs checks that --arg overrides the spec's args: in the config
// env, in a file of the layer and in the ref taken from the tag.
func TestCLIArgs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, spec, version string
		flags               []string
	}{
		{"spec args", cliSpec, "dev", nil},
		{"--arg", cliSpec, "9.9.9", []string{"--arg", "VERSION=9.9.9"}},
		// A tag cannot hold "=": this spec has none.
		{"--arg with =", cliNoTagsSpec, "a=b", []string{"--arg", "VERSION=a=b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			layout := filepath.Join(t.TempDir(), "layout")
			dest := "oci:" + layout
			args := append([]string{"-f", cliSpecDir(t, map[string]string{"build.yaml": tc.spec}), "-o", dest}, tc.flags...)
			m := cliOneResult(t, cliBuild(t, args...), dest)
			if env := cliConfig(t, layout, m).Config.Env; !slices.Equal(env, []string{"APP_VERSION=" + tc.version}) {
				t.Errorf("config env %v, want [APP_VERSION=%s]", env, tc.version)
			}
			files := e2eLayerFiles(t, layout, e2eManifest(t, layout, m).Layers[0].Digest)
			if got := files["etc/version"]; got != "version="+tc.version+"\n" {
				t.Errorf("/etc/version = %q, want version=%s", got, tc.version)
			}
		})
	}
}

// TestCLIPlatformFlag checks that --platform replaces the spec's
// platforms: one gives a single manifest for that platform, two an index.
func TestCLIPlatformFlag(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, flag string
		want       []string // architectures; one means a single manifest
	}{
		{"one", "linux/arm64", []string{"arm64"}},
		{"comma-separated", "linux/arm64,linux/amd64", []string{"arm64", "amd64"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			layout := filepath.Join(t.TempDir(), "layout")
			dest := "oci:" + layout
			top := cliOneResult(t, cliBuild(t, "-f", cliSpecDir(t, map[string]string{"build.yaml": cliMultiSpec}),
				"--platform", tc.flag, "-o", dest), dest)
			var probe struct{ MediaType string }
			e2eJSON(t, "top level", e2eBlob(t, layout, top), &probe)
			manifests := []ocispec.Descriptor{{Digest: top}}
			if len(tc.want) == 1 && probe.MediaType != ocispec.MediaTypeImageManifest {
				t.Fatalf("--platform %s: top level is %s, want a single manifest", tc.flag, probe.MediaType)
			}
			if len(tc.want) > 1 {
				var idx ocispec.Index
				e2eJSON(t, "index", e2eBlob(t, layout, top), &idx)
				manifests = idx.Manifests
			}
			var got []string
			for _, d := range manifests {
				cfg := cliConfig(t, layout, d.Digest)
				got = append(got, cfg.Architecture)
				files := e2eLayerFiles(t, layout, e2eManifest(t, layout, d.Digest).Layers[0].Digest)
				if files["etc/arch"] != "arch="+cfg.Architecture+"\n" {
					t.Errorf("%s image: /etc/arch = %q", cfg.Architecture, files["etc/arch"])
				}
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tc.want))
			if !slices.Equal(got, want) {
				t.Errorf("--platform %s: architectures %v, want %v", tc.flag, got, want)
			}
		})
	}
}

// cliLayoutIndex reads index.json of an OCI layout.
func cliLayoutIndex(t *testing.T, layout string) ocispec.Index {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(layout, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx ocispec.Index
	e2eJSON(t, "index.json", data, &idx)
	if idx.SchemaVersion != 2 || !strings.Contains(string(data), "manifests") {
		t.Fatalf("index.json is not an OCI index: %s", data)
	}
	// The attached SBOM and provenance (artifactType set) are not images;
	// the supply-chain tests check them.
	idx.Manifests = slices.DeleteFunc(idx.Manifests, func(d ocispec.Descriptor) bool { return d.ArtifactType != "" })
	return idx
}
