package resolve_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/resolve"
)

// schema1Manifest is a Docker schema 1 manifest; signed adds a JWS
// signature block (the prettyjws form registries served).
func schema1Manifest(signed bool) []byte {
	m := `{"schemaVersion":1,"name":"lib/busybox","tag":"old","architecture":"amd64",` +
		`"fsLayers":[{"blobSum":"sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"}],` +
		`"history":[{"v1Compatibility":"{\"id\":\"e45a5af57b00862e5ef5782a9925979a02ba2b12dff832fd0991335f4a11e5c5\"}"}]`
	if signed {
		m += `,"signatures":[{"header":{"alg":"ES256"},"signature":"c2lnbmF0dXJl","protected":"e30"}]`
	}
	return []byte(m + "}")
}

// TestRegistrySchema1Refused opens schema 1 images, which the distribution
// registry no longer accepts, so a fault serves them from /manifests/ in
// its place: by tag, by digest, and unsigned without a Docker-Content-Digest
// header. Each fails with ErrUnsupported, naming the reference and saying
// what to do, before any blob request (a registry would answer 404 there).
func TestRegistrySchema1Refused(t *testing.T) {
	reg, _, _ := seeded(t, registrytest.Options{})
	signed, unsigned := schema1Manifest(true), schema1Manifest(false)
	d := digest.FromBytes(signed)
	jws := http.Header{"Content-Type": {imageio.MediaTypeDockerSchema1JWS}, "Docker-Content-Digest": {d.String()}}
	reg.Inject(registrytest.Fault{Path: "/manifests/signed", Status: http.StatusOK, Header: jws, Body: signed})
	reg.Inject(registrytest.Fault{Path: "/manifests/" + d.String(), Status: http.StatusOK, Header: jws, Body: signed})
	reg.Inject(registrytest.Fault{Path: "/manifests/unsigned", Status: http.StatusOK,
		Header: http.Header{"Content-Type": {imageio.MediaTypeDockerSchema1}}, Body: unsigned})
	say := regexp.MustCompile(`(?i)schema ?1.*push`)
	for _, ref := range []string{"lib/busybox:signed", "lib/busybox@" + d.String(), "lib/busybox:unsigned"} {
		_, err := resolve.Open(context.Background(), reg.Host+"/"+ref, resolve.Options{})
		t.Logf("%s: %v", ref, err)
		if !errors.Is(err, resolve.ErrUnsupported) || !say.MatchString(err.Error()) ||
			!strings.Contains(err.Error(), reg.Host+"/lib/busybox") {
			t.Fatalf("%s: err = %v, want ErrUnsupported naming the image, schema 1 and what to push", ref, err)
		}
	}
	if n := reg.Counter.Count("", "/blobs/"); n != 0 {
		t.Fatalf("%d blob requests, want none", n)
	}
}
