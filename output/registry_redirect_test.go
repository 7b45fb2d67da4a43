package output_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/registry"
)

// TestPushRedirectingRegistries builds on a base from a token-auth registry
// whose blob downloads redirect to a storage server, pushes the image to a
// Basic-auth TLS registry that redirects too, and pulls it back from there
// with every layer read from its storage and verified. Neither storage
// server receives credentials.
func TestPushRedirectingRegistries(t *testing.T) {
	users := map[string]string{"bob": "pa55-Word"}
	src, _ := seedBase(t, registrytest.Options{Auth: registrytest.Token, Users: users, RedirectBlobs: true})
	dst := registrytest.New(t, registrytest.Options{Auth: registrytest.Basic, TLS: true, Users: users, RedirectBlobs: true})
	ropts := &testOpts{CacheDir: t.TempDir(), Options: registry.Options{AuthFiles: []string{
		registrytest.DockerConfig(t, t.TempDir(), src.Host, "bob", "pa55-Word"),
		registrytest.DockerConfig(t, t.TempDir(), dst.Host, "bob", "pa55-Word"),
	}, CAFiles: []string{dst.CAFile}}}
	img := buildOn(t, openBase(t, src.Host+"/lib/busybox:1", false, ropts))
	res, err := push(t, img, dst.Host+"/app/hello:1", ropts)
	if err != nil {
		t.Fatal(err)
	}
	if src.Storage.Count(http.MethodGet, "/storage/") == 0 {
		t.Fatal("the base layers were not read from the source's storage")
	}

	back := openBase(t, res.Ref, false, &testOpts{Options: registry.Options{AuthFiles: ropts.AuthFiles, CAFiles: ropts.CAFiles}})
	if back.Digest != img.Desc.Digest {
		t.Fatalf("pulled back %s, want %s", back.Digest, img.Desc.Digest)
	}
	for _, l := range back.Images[0].Manifest.Layers {
		rc, err := back.Blobs.Open(context.Background(), l)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil || dst.Storage.Count(http.MethodGet, l.Digest.String()) != 1 {
			t.Fatalf("layer %s: %v, %d storage GETs", l.Digest, err, dst.Storage.Count(http.MethodGet, l.Digest.String()))
		}
	}
	if a, b := src.StorageAuth(), dst.StorageAuth(); len(a)+len(b) != 0 {
		t.Fatalf("storage received credentials: %q, %q", a, b)
	}
}
