package output_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/attest"
	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/output"
)

// referrersAPI is a loopback proxy in front of the real distribution
// registry (which has no referrers API) adding what registries with one do:
// a manifest PUT with a subject is answered with OCI-Subject, and GET
// /v2/NAME/referrers/DIGEST lists those manifests.
type referrersAPI struct {
	mu        sync.Mutex
	referrers map[digest.Digest][]ocispec.Descriptor
	proxy     *httputil.ReverseProxy
}

// referrersPath matches GET /v2/NAME/referrers/DIGEST.
var referrersPath = regexp.MustCompile(`^/v2/(.+)/referrers/(sha256:[0-9a-f]{64})$`)

func (r *referrersAPI) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if m := referrersPath.FindStringSubmatch(req.URL.Path); m != nil && req.Method == http.MethodGet {
		r.mu.Lock()
		idx := output.ReferrersIndex(r.referrers[digest.Digest(m[2])])
		r.mu.Unlock()
		w.Header().Set("Content-Type", ocispec.MediaTypeImageIndex)
		json.NewEncoder(w).Encode(idx)
		return
	}
	if req.Method == http.MethodPut && strings.Contains(req.URL.Path, "/manifests/") {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		var m ocispec.Manifest
		if json.Unmarshal(body, &m) == nil && m.Subject != nil {
			r.mu.Lock()
			r.referrers[m.Subject.Digest] = append(r.referrers[m.Subject.Digest], ocispec.Descriptor{
				MediaType: m.MediaType, Digest: digest.FromBytes(body), Size: int64(len(body)), ArtifactType: m.ArtifactType,
			})
			r.mu.Unlock()
			w.Header().Set("OCI-Subject", m.Subject.Digest.String())
		}
	}
	r.proxy.ServeHTTP(w, req)
}

// newReferrersAPI starts the proxy in front of reg and returns its host.
func newReferrersAPI(t *testing.T, reg *registrytest.Registry) string {
	t.Helper()
	target, _ := url.Parse("http://" + reg.Host)
	srv := httptest.NewServer(&referrersAPI{referrers: map[digest.Digest][]ocispec.Descriptor{}, proxy: httputil.NewSingleHostReverseProxy(target)})
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// sbomAttachment is an SBOM referrer of img.
func sbomAttachment(t *testing.T, img *assemble.Image) output.Attachment {
	t.Helper()
	art, err := attest.Referrer(attest.Document{Subject: img.Desc, MediaType: attest.MediaTypeSPDX, Data: []byte(`{"spdxVersion":"SPDX-2.3"}`)}, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return output.Attachment{Image: art.Image, Subject: &art.Subject}
}

// tagStatus is the registry's answer to HEAD on the referrers tag of d.
func tagStatus(t *testing.T, host, repo string, d digest.Digest) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodHead, "http://"+host+"/v2/"+repo+"/manifests/"+output.ReferrersTag(d), nil)
	req.Header.Set("Accept", ocispec.MediaTypeImageIndex)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestAttachReferrers: a registry with the referrers API gets the referrer
// and no sha256-<hex> tag; the real distribution registry (no API) gets
// the tag index; ReferrersTag forces the tag even with the API. Pushing
// twice never lists a referrer twice.
func TestAttachReferrers(t *testing.T) {
	img := scratchImage(t, "referrers\n")
	att := sbomAttachment(t, img)
	for _, tc := range []struct {
		name    string
		api     bool
		force   bool
		wantTag bool
	}{
		{"referrers API", true, false, false},
		{"no API: tag schema", false, false, true},
		{"API, tag forced", true, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := registrytest.New(t, registrytest.Options{})
			host := reg.Host
			if tc.api {
				host = newReferrersAPI(t, reg)
			}
			w := parse(t, "docker://"+host+"/app:1", output.Options{ReferrersTag: tc.force})
			for range 2 {
				if _, err := w.(output.AttachWriter).WriteAttached(t.Context(), img, []output.Attachment{att}); err != nil {
					t.Fatal(err)
				}
			}
			status := tagStatus(t, reg.Host, "app", img.Desc.Digest)
			if got := status == http.StatusOK; got != tc.wantTag {
				t.Fatalf("referrers tag: HEAD %d, want the tag %v", status, tc.wantTag)
			}
			if !tc.wantTag {
				return
			}
			resp, err := http.Get("http://" + reg.Host + "/v2/app/manifests/" + output.ReferrersTag(img.Desc.Digest))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var idx ocispec.Index
			if err := json.NewDecoder(resp.Body).Decode(&idx); err != nil {
				t.Fatal(err)
			}
			if len(idx.Manifests) != 1 || idx.Manifests[0].Digest != att.Image.Desc.Digest || idx.Manifests[0].ArtifactType != attest.MediaTypeSPDX {
				t.Errorf("referrers tag index %+v, want the SBOM referrer once", idx.Manifests)
			}
		})
	}
}
