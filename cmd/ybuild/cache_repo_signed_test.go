package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/e2e"
	"github.com/ybuild/ybuild/internal/registrytest"
	"github.com/ybuild/ybuild/internal/testbase"
	"github.com/ybuild/ybuild/registry"
	"github.com/ybuild/ybuild/remotecache"
)

// cacheKeyFiles writes a new Ed25519 key pair as PEM files (what
// `openssl genpkey -algorithm ed25519` and `openssl pkey -pubout` write)
// and returns their paths and the private key.
func cacheKeyFiles(t *testing.T) (privPath, pubPath string, priv ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	privPath, pubPath = filepath.Join(dir, "cache.key"), filepath.Join(dir, "cache.pub")
	if err := os.WriteFile(privPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644); err != nil {
		t.Fatal(err)
	}
	return privPath, pubPath, priv
}

// TestCacheRepoSignedRecords: records signed with --cache-sign-key are
// believed by a build that trusts the key (--cache-trust-key): a fresh
// machine reuses the layer (the cold digests, one blob download). What
// "believed" means is shown by a record that lies: the same lie is refused
// unsigned or signed by a key the build does not trust, and believed only
// when a trusted key signed it (remotecache's tests cover claims changed
// after signing).
func TestCacheRepoSignedRecords(t *testing.T) {
	testbase.Busybox(t)
	signKey, trustKey, priv := cacheKeyFiles(t)
	_, otherPub, other := cacheKeyFiles(t)
	seed := seedCacheRepo(t, "--cache-sign-key", signKey)
	reg, cacheRepo, want, good := seed.reg, seed.repo, seed.image, seed.layer
	shape := onlyRecordShape(t, reg.Host)

	reg.Counter.Reset()
	out := filepath.Join(t.TempDir(), "fresh")
	res, stderr := buildStderr(t, "-f", cacheRepoCheckout(t), "--cache-dir", t.TempDir(), "--cache-repo", cacheRepo, "--cache-trust-key", trustKey, "-o", "oci:"+out)
	if res["oci:"+out] != want || cacheRepoLayer(t, out) != good || stderr != "" {
		t.Fatalf("fresh machine: %s (layer %s), stderr %q; want the cold build's %s", res["oci:"+out], cacheRepoLayer(t, out), stderr, want)
	}
	if n := reg.Counter.Count("GET", "/ci/cache/blobs/"+good.String()); n != 1 {
		t.Errorf("the layer was downloaded %d times, want 1", n)
	}

	// A lie: the right DiffID for a blob with other content.
	bad := filepath.Join(t.TempDir(), "bad.tar.gz")
	badDesc := writeTarGz(t, bad, "app/evil.txt", "not the app\n")
	badDesc.MediaType = ocispec.MediaTypeImageLayerGzip
	diffID := seedDiffID(t, cacheRepo, shape)
	for _, tc := range []struct {
		name     string
		key      ed25519.PrivateKey
		trust    string
		believed bool
	}{
		{"unsigned", nil, trustKey, false},
		{"untrusted signer", other, trustKey, false},
		{"trusted signer", priv, trustKey, true},
		{"trusted signer, other key trusted", priv, otherPub, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storeRecord(t, cacheRepo, shape, badDesc, diffID, bad, tc.key)
			out := filepath.Join(t.TempDir(), "out")
			res, _ := buildStderr(t, "-f", cacheRepoCheckout(t), "--cache-dir", t.TempDir(), "--cache-repo", cacheRepo, "--cache-trust-key", tc.trust, "-o", "oci:"+out)
			got := cacheRepoLayer(t, out)
			switch {
			case tc.believed && got != badDesc.Digest:
				t.Errorf("layer %s: the trusted signer's record was not believed (want %s)", got, badDesc.Digest)
			case !tc.believed && (got != good || res["oci:"+out] != want):
				t.Errorf("layer %s, image %s: want the cold build's %s, %s", got, res["oci:"+out], good, want)
			}
		})
	}
}

// seedDiffID returns the DiffID the record under shape claims.
func seedDiffID(t *testing.T, cacheRepo, shape string) digest.Digest {
	t.Helper()
	c, err := remotecache.New(cacheRepo, &registry.Options{}, func(msg string) { t.Errorf("remotecache: %s", msg) })
	if err != nil {
		t.Fatal(err)
	}
	_, d, ok := c.Lookup(context.Background(), shape, ocispec.MediaTypeImageLayerGzip)
	if !ok {
		t.Fatal("no record")
	}
	return d
}

// storeRecord replaces the record under shape: desc's blob (from path)
// claiming diffID, signed with key unless nil.
func storeRecord(t *testing.T, cacheRepo, shape string, desc ocispec.Descriptor, diffID digest.Digest, path string, key ed25519.PrivateKey) {
	t.Helper()
	c, err := remotecache.New(cacheRepo, &registry.Options{}, func(msg string) { t.Errorf("remotecache: %s", msg) })
	if err != nil {
		t.Fatal(err)
	}
	if key != nil {
		c.WithKeys(remotecache.Keys{Sign: key})
	}
	c.Store(shape, desc, diffID, path)
	c.Push(context.Background(), nil)
}

// TestCacheKeyErrors: an unusable key file is a usage error (exit 2) that
// names the flag and the file, before anything is built.
func TestCacheKeyErrors(t *testing.T) {
	signKey, trustKey, _ := cacheKeyFiles(t)
	missing := filepath.Join(t.TempDir(), "none.pem")
	for name, args := range map[string][]string{
		"public key to sign":   {"--cache-sign-key", trustKey},
		"private key to trust": {"--cache-trust-key", signKey},
		"missing file":         {"--cache-trust-key", missing},
	} {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			full := append([]string{"build", "--progress", "quiet", "-f", cacheRepoCheckout(t), "--cache-dir", t.TempDir(),
				"--cache-repo", "127.0.0.1:1/ci/cache", "-o", "oci:" + filepath.Join(t.TempDir(), "out")}, args...)
			code := run(context.Background(), full, &stdout, &stderr)
			if code != exitUsage || !strings.Contains(stderr.String(), args[0]+" "+args[1]) {
				t.Errorf("exit %d, stderr %q: want exit %d naming %s %s", code, stderr.String(), exitUsage, args[0], args[1])
			}
		})
	}
}

// TestCacheRepoSignedPushLeavesBlob: a fresh machine whose outputs are
// pushes, trusting the signer of the records, never downloads the layer:
// it hashes its sources against the record's DiffID and the push mounts
// the blob; a rebuild on that machine takes the layer from its local
// record of the blob left there, without asking for the cache record
// again; either image is complete, with the
// cold digests. A trusted record whose DiffID the sources do not have is
// not used. With a push to another registry or a local output too, the
// blob is downloaded (and checked against its digest) as before.
func TestCacheRepoSignedPushLeavesBlob(t *testing.T) {
	testbase.Busybox(t)
	skopeo := e2e.Require(t, "skopeo")
	signKey, trustKey, priv := cacheKeyFiles(t)
	seed := seedCacheRepo(t, "--cache-sign-key", signKey)
	reg, cacheRepo, want, layer := seed.reg, seed.repo, seed.image, seed.layer
	other := registrytest.New(t, registrytest.Options{})
	fresh := []string{"-f", cacheRepoCheckout(t), "--cache-repo", cacheRepo, "--cache-trust-key", trustKey}
	cacheDir := t.TempDir()
	for _, tc := range []struct {
		name, ref string
		cacheDir  string
		flags     []string
		gets      int
		mounts    bool
	}{
		{"same registry", reg.Host + "/team/app:1", cacheDir, nil, 0, true},
		{"same registry, rebuild", reg.Host + "/other/app:1", cacheDir, nil, 0, true},
		{"another registry", other.Host + "/team/app:1", t.TempDir(), nil, 1, false},
		{"and a layout", reg.Host + "/third/app:1", t.TempDir(), []string{"-o", "oci:" + filepath.Join(t.TempDir(), "out")}, 1, true},
	} {
		reg.Counter.Reset()
		args := append(append(append([]string{}, fresh...), "--cache-dir", tc.cacheDir, "-o", "docker://"+tc.ref), tc.flags...)
		res, stderr := buildStderr(t, args...)
		if got := res["docker://"+tc.ref]; got != want || stderr != "" {
			t.Fatalf("%s: pushed %s, stderr %q; want the cold build's %s", tc.name, got, stderr, want)
		}
		if n := reg.Counter.Count("GET", "/ci/cache/blobs/"+layer.String()); n != tc.gets {
			t.Errorf("%s: the layer was downloaded %d times from the cache repository, want %d", tc.name, n, tc.gets)
		}
		if n := reg.Counter.Count("GET", "/ci/cache/manifests/"); (n == 0) != (tc.name == "same registry, rebuild") {
			t.Errorf("%s: %d cache record requests", tc.name, n)
		}
		if got := reg.Counter.Mounts() > 0; got != tc.mounts {
			t.Errorf("%s: blob mounted %v, want %v", tc.name, got, tc.mounts)
		}
		pulled := filepath.Join(t.TempDir(), "pulled")
		e2e.Run(t, skopeo, "copy", "--quiet", "--src-tls-verify=false", "docker://"+tc.ref, "oci:"+pulled+":x")
		if got := cacheRepoLayer(t, pulled); got != layer {
			t.Errorf("%s: pulled top layer %s, want %s", tc.name, got, layer)
		}
	}

	// A trusted record of other sources: the layer is built, not taken.
	shape := onlyRecordShape(t, reg.Host)
	bad := filepath.Join(t.TempDir(), "bad.tar.gz")
	badDesc := writeTarGz(t, bad, "app/evil.txt", "not the app\n")
	badDesc.MediaType = ocispec.MediaTypeImageLayerGzip
	storeRecord(t, cacheRepo, shape, badDesc, digest.FromString("other sources"), bad, priv)
	ref := reg.Host + "/team/app:4"
	res, _ := buildStderr(t, append(append([]string{}, fresh...), "--cache-dir", t.TempDir(), "-o", "docker://"+ref)...)
	if got := res["docker://"+ref]; got != want {
		t.Errorf("a record of other sources: pushed %s, want the cold build's %s", got, want)
	}
}
