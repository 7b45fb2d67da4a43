package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/attest"
	"github.com/ybuild/ybuild/internal/registrytest"
)

// TestBaseReferrersBounded: the referrers list of a registry base is the
// registry's to write. One listing 40 artifacts that are not SBOMs and 40
// that claim to be SPDX but hold no document, before the base's real SBOM,
// made a build read all 81 referrer manifests (a 4 MiB list holds some
// 20,000 entries, each up to 4 MiB); now only entries listed as SPDX are
// read, until the first SBOM, at most 8 of them.
func TestBaseReferrersBounded(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	cache := t.TempDir()
	top := cliOneResult(t, cliBuild(t, "-f", cliSpecDir(t, map[string]string{"build.yaml": cliSpec}), "--cache-dir", cache,
		"-o", "docker://"+reg.Host+"/base:1"), "docker://"+reg.Host+"/base:1")
	tagPath := "/v2/base/manifests/" + strings.Replace(top.String(), ":", "-", 1)
	var idx ocispec.Index
	e2eJSON(t, "referrers tag", regGet(t, "http://"+reg.Host+tagPath), &idx)
	var real []ocispec.Descriptor
	for _, d := range idx.Manifests {
		if d.ArtifactType == attest.MediaTypeSPDX {
			real = append(real, d)
		}
	}
	if len(real) != 1 {
		t.Fatalf("the base has %d SBOM referrers, want 1:\n%+v", len(real), idx)
	}
	regPutBlob(t, reg.Host, "base", []byte("{}"))
	hostile := ocispec.Index{Versioned: idx.Versioned, MediaType: ocispec.MediaTypeImageIndex}
	var junk []string
	for i := range 80 {
		m := ocispec.Manifest{Versioned: idx.Versioned, MediaType: ocispec.MediaTypeImageManifest, ArtifactType: "application/vnd.example.other+json",
			Config: ocispec.DescriptorEmptyJSON, Layers: []ocispec.Descriptor{}, Subject: &ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: top, Size: 1},
			Annotations: map[string]string{"n": strconv.Itoa(i)}}
		if i >= 40 {
			m.ArtifactType = attest.MediaTypeSPDX
		}
		data, err := json.Marshal(m)
		cliMust(t, err)
		d := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, ArtifactType: m.ArtifactType, Digest: digest.FromBytes(data), Size: int64(len(data))}
		regPut(t, "http://"+reg.Host+"/v2/base/manifests/"+d.Digest.String(), ocispec.MediaTypeImageManifest, data)
		hostile.Manifests, junk = append(hostile.Manifests, d), append(junk, d.Digest.String())
	}
	hostile.Manifests = append(hostile.Manifests, real...)
	body, err := json.Marshal(hostile)
	cliMust(t, err)
	reg.Inject(registrytest.Fault{Method: http.MethodGet, Path: tagPath, Status: http.StatusOK, Body: body,
		Header: http.Header{"Content-Type": {ocispec.MediaTypeImageIndex}}})
	reg.Counter.Reset()

	spec := strings.Replace(cliSpec, "base: scratch", "base: docker://"+reg.Host+"/base:1", 1)
	layout := filepath.Join(t.TempDir(), "app")
	cliBuild(t, "-f", cliSpecDir(t, map[string]string{"build.yaml": spec}), "--cache-dir", cache, "-o", "oci:"+layout)
	read := 0
	for _, d := range junk {
		read += reg.Counter.Count(http.MethodGet, d)
	}
	if read > maxSBOMReferrers {
		t.Errorf("the build read %d of the listed referrers, want at most %d", read, maxSBOMReferrers)
	}
}

// regGet reads a URL of the loopback test registry.
func regGet(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url) //nolint:noctx // loopback test registry
	cliMust(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	cliMust(t, err)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return data
}

// regPut stores a manifest in the loopback test registry.
func regPut(t *testing.T, url, mediaType string, data []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, url, bytes.NewReader(data)) //nolint:noctx // loopback test registry
	cliMust(t, err)
	req.Header.Set("Content-Type", mediaType)
	resp, err := http.DefaultClient.Do(req)
	cliMust(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT %s: %s", url, resp.Status)
	}
}

// regPutBlob uploads a blob to repo in the loopback test registry: POST
// an upload, then PUT its content with the digest.
func regPutBlob(t *testing.T, host, repo string, data []byte) {
	t.Helper()
	resp, err := http.Post("http://"+host+"/v2/"+repo+"/blobs/uploads/", "", nil) //nolint:noctx // loopback test registry
	cliMust(t, err)
	resp.Body.Close()
	loc, err := resp.Location()
	cliMust(t, err)
	q := loc.Query()
	q.Set("digest", digest.FromBytes(data).String())
	loc.RawQuery = q.Encode()
	regPut(t, loc.String(), "application/octet-stream", data)
}

// TestBaseReferrersGarbage: a referrers tag holding garbage costs a
// build one warning (its SBOM then does not reference the base's) and
// `ybuild inspect` one error line; one claiming a gigabyte is refused
// before it is read (containerd's 4 MiB bound) and counts as none.
// Nothing hangs or panics.
func TestBaseReferrersGarbage(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	cache := t.TempDir()
	top := cliOneResult(t, cliBuild(t, "-f", cliSpecDir(t, map[string]string{"build.yaml": cliSpec}), "--cache-dir", cache,
		"-o", "docker://"+reg.Host+"/base:1"), "docker://"+reg.Host+"/base:1")
	tagPath := "/v2/base/manifests/" + strings.Replace(top.String(), ":", "-", 1)
	spec := cliSpecDir(t, map[string]string{"build.yaml": strings.Replace(cliSpec, "base: scratch", "base: docker://"+reg.Host+"/base:1", 1)})
	for _, tc := range []struct {
		name  string
		fault registrytest.Fault
		fails bool
	}{
		{"garbage", registrytest.Fault{Body: []byte("\x00not json{{{"), Header: http.Header{"Content-Type": {ocispec.MediaTypeImageIndex}}}, true},
		{"huge", registrytest.Fault{Body: []byte("{}"), Header: http.Header{"Content-Type": {ocispec.MediaTypeImageIndex}, "Content-Length": {"1073741824"}}}, false},
	} {
		reg.ClearFaults()
		f := tc.fault
		f.Method, f.Path, f.Status = http.MethodGet, tagPath, http.StatusOK
		reg.Inject(f)
		layout := filepath.Join(t.TempDir(), "app")
		res := cliRun("build", "-f", spec, "--cache-dir", cache, "--no-cache", "--progress", "quiet", "-o", "oci:"+layout)
		if res.code != exitOK || strings.Contains(res.stderr, "cannot list its referrers") != tc.fails || strings.Contains(res.stderr, "goroutine") {
			t.Errorf("%s: build exit %d, want 0 (with a warning: %v):\n%s", tc.name, res.code, tc.fails, res.stderr)
		}
		res = cliRun("inspect", "docker://"+reg.Host+"/base:1")
		if (res.code != exitOK) != tc.fails || strings.Count(strings.TrimSpace(res.stderr), "\n") > 0 {
			t.Errorf("%s: inspect exit %d, want failing %v with at most one line:\n%s", tc.name, res.code, tc.fails, res.stderr)
		}
		if tc.fails {
			cliCheckStderr(t, res.stderr, "referrers")
		}
	}
}
