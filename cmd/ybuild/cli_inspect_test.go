package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// cliInspection is `ybuild inspect --json`, with the config kept raw.
type cliInspection struct {
	Ref       string        `json:"ref"`
	Digest    digest.Digest `json:"digest"`
	Index     bool          `json:"index"`
	Manifests []struct {
		Platform    string               `json:"platform"`
		Digest      digest.Digest        `json:"digest"`
		MediaType   string               `json:"mediaType"`
		Annotations map[string]string    `json:"annotations"`
		Layers      []ocispec.Descriptor `json:"layers"`
		Config      json.RawMessage      `json:"config"`
	} `json:"manifests"`
}

// TestCLIInspect builds an index into an OCI layout and a single manifest
// into a docker archive, then checks `ybuild inspect` and `inspect --json`
// against the blobs written.
func TestCLIInspect(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, spec, kind string
		index            bool
		platforms        []string
	}{
		{"oci index", cliMultiSpec, "oci", true, []string{"linux/amd64", "linux/arm64"}},
		{"docker archive", cliSpec, "docker-archive", false, []string{"linux/amd64"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "image")
			dest := tc.kind + ":" + path
			top := cliOneResult(t, cliBuild(t, "-f", cliSpecDir(t, map[string]string{"build.yaml": tc.spec}), "-o", dest), dest)
			blob := func(d digest.Digest) []byte { return cliBlob(t, tc.kind, path, d) }
			manifests := []digest.Digest{top}
			if tc.index {
				var idx ocispec.Index
				e2eJSON(t, "index", blob(top), &idx)
				manifests = nil
				for _, m := range idx.Manifests {
					manifests = append(manifests, m.Digest)
				}
			}
			in := cliInspectJSON(t, dest)
			if in.Ref != dest || in.Digest != top || in.Index != tc.index || len(in.Manifests) != len(manifests) {
				t.Fatalf("inspect --json: ref %s digest %s index %v, %d manifests; want %s %s %v %d",
					in.Ref, in.Digest, in.Index, len(in.Manifests), dest, top, tc.index, len(manifests))
			}
			text := cliRun("inspect", dest)
			kind := map[bool]string{true: "index", false: "manifest"}[tc.index]
			if text.code != exitOK || !strings.HasPrefix(text.stdout, dest+"\n  "+kind+" "+top.String()+"\n") {
				t.Errorf("inspect: exit %d, stdout:\n%s\nwant it to start with %s and %s %s", text.code, text.stdout, dest, kind, top)
			}
			for i, m := range in.Manifests {
				if m.Platform != tc.platforms[i] || m.Digest != manifests[i] || m.MediaType != ocispec.MediaTypeImageManifest {
					t.Errorf("inspect --json manifests[%d]: %s %s %s, want %s %s an OCI manifest", i, m.Platform, m.Digest, m.MediaType, tc.platforms[i], manifests[i])
				}
				var stored ocispec.Manifest
				e2eJSON(t, "manifest", blob(m.Digest), &stored)
				cliCheckInspected(t, m.Platform, m.Layers, m.Config, stored, blob(stored.Config.Digest))
				if !strings.Contains(text.stdout, "\n"+m.Platform+"  "+m.Digest.String()+"\n") {
					t.Errorf("inspect: no line %q in\n%s", m.Platform+"  "+m.Digest.String(), text.stdout)
				}
				for _, l := range stored.Layers {
					if !strings.Contains(text.stdout, "    "+l.Digest.String()+"  ") {
						t.Errorf("inspect: layer %s missing from\n%s", l.Digest, text.stdout)
					}
				}
			}
			for _, w := range []string{"  created: 2024-01-01 00:00:00 +0000 UTC\n", `  env: ["APP_VERSION=dev"]` + "\n"} {
				if strings.Count(text.stdout, w) != len(manifests) {
					t.Errorf("inspect: want %q once per platform in\n%s", w, text.stdout)
				}
			}
		})
	}
}

// cliInspectJSON runs `ybuild inspect --json dest` and decodes it, also
// checking the top-level keys docs/cli.md shows.
func cliInspectJSON(t *testing.T, dest string) cliInspection {
	t.Helper()
	r := cliRun("inspect", "--json", dest)
	if r.code != exitOK {
		t.Fatalf("inspect --json %s: exit %d\n%s", dest, r.code, r.stderr)
	}
	var generic map[string]json.RawMessage
	e2eJSON(t, "inspect --json", []byte(r.stdout), &generic)
	var keys []string
	for k := range generic {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	keys = slices.DeleteFunc(keys, func(k string) bool { return k == "attached" }) // the supply-chain tests check it
	if !slices.Equal(keys, []string{"digest", "index", "manifests", "ref"}) {
		t.Errorf("inspect --json keys %v, want digest, index, manifests, ref (and attached)", keys)
	}
	var in cliInspection
	e2eJSON(t, "inspect --json", []byte(r.stdout), &in)
	return in
}

// cliCheckInspected compares one inspected platform with the stored
// manifest and config: the same layers, the config as stored.
func cliCheckInspected(t *testing.T, platform string, layers []ocispec.Descriptor, config json.RawMessage, stored ocispec.Manifest, storedConfig []byte) {
	t.Helper()
	if !reflect.DeepEqual(layers, stored.Layers) {
		t.Errorf("%s: inspected layers %+v, stored %+v", platform, layers, stored.Layers)
	}
	var got, want map[string]any
	e2eJSON(t, "inspected config", config, &got)
	e2eJSON(t, "stored config", storedConfig, &want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: inspected config\n%s\nwant the stored one\n%s", platform, config, storedConfig)
	}
	if fmt.Sprint(got["os"], "/", got["architecture"]) != platform {
		t.Errorf("inspect platform %s, config says %v/%v", platform, got["os"], got["architecture"])
	}
}

// cliBlob reads blob d from an OCI layout directory or from the OCI layout
// inside a docker archive, checking its digest.
func cliBlob(t *testing.T, kind, path string, d digest.Digest) []byte {
	t.Helper()
	if kind == "oci" {
		return e2eBlob(t, path, d)
	}
	data := cliTarFile(t, path, "blobs/"+d.Algorithm().String()+"/"+d.Encoded())
	if digest.FromBytes(data) != d {
		t.Fatalf("%s: blob %s does not match its digest", path, d)
	}
	return data
}
