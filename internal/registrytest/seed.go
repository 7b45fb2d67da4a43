package registrytest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/semaphore"
)

// PushLayout pushes, unchanged, the image of an OCI layout's index.json
// entry (the first entry, or the one whose ref name is refName) to ref
// (host/repo:tag on this registry), with containerd's PushContent and no
// ybuild code. It returns the pushed top-level descriptor.
func (r *Registry) PushLayout(t testing.TB, dir, refName, ref string) ocispec.Descriptor {
	t.Helper()
	desc := layoutEntry(t, dir, refName)
	ctx := context.Background()
	p, err := r.resolver(t).Pusher(ctx, ref+"@"+desc.Digest.String())
	if err != nil {
		t.Fatal(err)
	}
	// One blob at a time: containerd's bearer authorizer races when several
	// requests fetch a scope's first token at once.
	limit := semaphore.NewWeighted(1)
	if err := remotes.PushContent(ctx, p, desc, layoutProvider(dir), limit, nil, nil); err != nil {
		t.Fatalf("seed %s: %v", ref, err)
	}
	return desc
}

// resolver returns a containerd resolver for this registry, with the CA
// and the first user's credentials.
func (r *Registry) resolver(t testing.TB) remotes.Resolver {
	t.Helper()
	tlsCfg := &tls.Config{}
	if r.CAFile != "" {
		pem, err := os.ReadFile(r.CAFile)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		tlsCfg.RootCAs = pool
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}}
	creds := func(string) (string, string, error) {
		for u, p := range r.users {
			return u, p, nil
		}
		return "", "", nil
	}
	hosts := docker.ConfigureDefaultRegistries(
		docker.WithClient(client),
		docker.WithPlainHTTP(func(string) (bool, error) { return r.CAFile == "", nil }),
		docker.WithAuthorizer(docker.NewDockerAuthorizer(docker.WithAuthClient(client), docker.WithAuthCreds(creds))),
	)
	return docker.NewResolver(docker.ResolverOptions{Hosts: hosts})
}

// layoutEntry returns the index.json entry named refName (or the first).
func layoutEntry(t testing.TB, dir, refName string) ocispec.Descriptor {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		t.Fatal(err)
	}
	for _, d := range idx.Manifests {
		if refName == "" || d.Annotations[ocispec.AnnotationRefName] == refName {
			d.Annotations = nil
			return d
		}
	}
	t.Fatalf("layout %s: no entry %q", dir, refName)
	return ocispec.Descriptor{}
}

// layoutProvider reads blobs of an OCI layout.
type layoutProvider string

// ReaderAt opens the blob file.
func (l layoutProvider) ReaderAt(_ context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	f, err := os.Open(filepath.Join(string(l), "blobs", desc.Digest.Algorithm().String(), desc.Digest.Encoded()))
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return sizedFile{File: f, size: fi.Size()}, nil
}

// sizedFile is a content.ReaderAt over a file.
type sizedFile struct {
	*os.File
	size int64
}

// Size returns the file size.
func (s sizedFile) Size() int64 { return s.size }
