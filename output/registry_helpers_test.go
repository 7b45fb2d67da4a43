package output_test

import (
	"context"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/internal/testbase"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/resolve"
	"github.com/ybuild/ybuild/spec"
)

// seedBase starts a registry holding the busybox test base at
// HOST/lib/busybox:1 and returns it with the seeded top descriptor.
func seedBase(t *testing.T, opts registrytest.Options) (*registrytest.Registry, ocispec.Descriptor) {
	t.Helper()
	reg := registrytest.New(t, opts)
	dir := t.TempDir()
	testbase.Layout(t, dir)
	top := reg.PushLayout(t, dir, testbase.Ref, reg.Host+"/lib/busybox:1")
	reg.Counter.Reset()
	return reg, top
}

// buildOn builds an image on base with assemble.Build: one new layer
// holding /hello.txt on every platform; an index when the base gave several
// platforms.
func buildOn(t *testing.T, base *resolve.Base) *assemble.Image {
	t.Helper()
	yaml := "apiVersion: ybuild/v1\nname: hello\nbase: scratch\nfiles:\n  - {dst: /hello.txt, content: \"hello from ybuild\\n\"}\n"
	b, err := spec.Parse([]byte(yaml), "build.yaml", t.TempDir(), spec.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	img, err := assemble.Build(context.Background(), b, base, assemble.Options{BlobDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// testOpts are a test's registry options and cache directory.
type testOpts struct {
	registry.Options
	CacheDir string
}

// registry returns the registry options (nil for nil o).
func (o *testOpts) registry() *registry.Options {
	if o == nil {
		return nil
	}
	return &o.Options
}

// resolve returns the options for opening a base.
func (o *testOpts) resolve(all bool) resolve.Options {
	if o == nil {
		return resolve.Options{AllPlatforms: all}
	}
	return resolve.Options{AllPlatforms: all, Registry: &o.Options, CacheDir: o.CacheDir}
}

// openBase opens a registry base for all platforms (or the default).
func openBase(t *testing.T, ref string, all bool, ropts *testOpts) *resolve.Base {
	t.Helper()
	b, err := resolve.Open(context.Background(), ref, ropts.resolve(all))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// baseLayerDigests returns the distinct layer digests of the base.
func baseLayerDigests(b *resolve.Base) []digest.Digest {
	seen := map[digest.Digest]bool{}
	var out []digest.Digest
	for _, im := range b.Images {
		for _, l := range im.Manifest.Layers {
			if !seen[l.Digest] {
				seen[l.Digest] = true
				out = append(out, l.Digest)
			}
		}
	}
	return out
}
