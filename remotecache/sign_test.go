package remotecache

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestRecordSignature: a signature covers every claim of the record; a
// change to any of them, another signer, a bad encoding or a key ID that
// names another key all fail verification.
func TestRecordSignature(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	otherPub, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	layer := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: digest.FromString("blob"), Size: 42}
	diffID := digest.FromString("tar")
	ann := map[string]string{}
	signRecord(priv, ann, "shape", layer, diffID)
	if !signedBy([]ed25519.PublicKey{otherPub, pub}, ann, "shape", layer, diffID) {
		t.Fatal("a good signature was refused")
	}
	changed := func(f func(*ocispec.Descriptor, *string, *digest.Digest)) bool {
		l, s, d := layer, "shape", diffID
		f(&l, &s, &d)
		return signedBy([]ed25519.PublicKey{pub}, ann, s, l, d)
	}
	for name, f := range map[string]func(*ocispec.Descriptor, *string, *digest.Digest){
		"shape": func(_ *ocispec.Descriptor, s *string, _ *digest.Digest) { *s = "other" },
		"media type": func(l *ocispec.Descriptor, _ *string, _ *digest.Digest) {
			l.MediaType = ocispec.MediaTypeImageLayerZstd
		},
		"digest": func(l *ocispec.Descriptor, _ *string, _ *digest.Digest) { l.Digest = digest.FromString("evil") },
		"size":   func(l *ocispec.Descriptor, _ *string, _ *digest.Digest) { l.Size = 43 },
		"diffid": func(_ *ocispec.Descriptor, _ *string, d *digest.Digest) { *d = digest.FromString("evil") },
	} {
		if changed(f) {
			t.Errorf("the signature still holds with another %s", name)
		}
	}
	if signedBy([]ed25519.PublicKey{otherPub}, ann, "shape", layer, diffID) {
		t.Error("the signature verified with a key that did not make it")
	}
	forged := map[string]string{}
	signRecord(otherPriv, forged, "shape", layer, diffID)
	forged[AnnotationSigner] = ann[AnnotationSigner] // claims the trusted signer
	if signedBy([]ed25519.PublicKey{pub}, forged, "shape", layer, diffID) {
		t.Error("another key's signature under the trusted key's ID verified")
	}
	for _, bad := range []string{"", "!!", strings.Repeat("A", 88)} {
		a := map[string]string{AnnotationSignature: bad, AnnotationSigner: ann[AnnotationSigner]}
		if signedBy([]ed25519.PublicKey{pub}, a, "shape", layer, diffID) {
			t.Errorf("signature %q verified", bad)
		}
	}
}

// TestParseKeys reads the PEM forms openssl writes and refuses others.
func TestParseKeys(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	pubDER, _ := x509.MarshalPKIXPublicKey(pub)
	k, err := ParsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if err != nil || !k.Equal(priv) {
		t.Fatalf("private key: %v", err)
	}
	p, err := ParsePublicKey(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	if err != nil || !p.Equal(pub) {
		t.Fatalf("public key: %v", err)
	}
	if _, err := ParsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})); err == nil {
		t.Error("a public key was read as a private one")
	}
	if _, err := ParsePublicKey([]byte("not pem")); err == nil {
		t.Error("garbage was read as a public key")
	}
}
