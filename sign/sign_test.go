package sign

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
)

// testKey returns a cosign-format encrypted key (what `cosign
// generate-key-pair` writes) and its public key.
func testKey(t *testing.T, password string) ([]byte, *ecdsa.PublicKey) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := encrypted.Encrypt(der, []byte(password))
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: sigstoreKeyType, Bytes: enc}), &priv.PublicKey
}

// TestLoadKey: the right password opens the key; a wrong one, another PEM
// type or garbage fail with ErrBadKey.
func TestLoadKey(t *testing.T) {
	key, _ := testKey(t, "pw")
	if _, err := LoadKey(key, []byte("pw")); err != nil {
		t.Fatal(err)
	}
	other := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("x")})
	for name, tc := range map[string]struct{ key, pw []byte }{
		"wrong password": {key, []byte("nope")}, "pem type": {other, []byte("pw")}, "garbage": {[]byte("x"), nil},
	} {
		if _, err := LoadKey(tc.key, tc.pw); !errors.Is(err, ErrBadKey) {
			t.Errorf("%s: %v, want ErrBadKey", name, err)
		}
	}
}

// TestSignatureImage: one simple-signing layer naming the digest, whose
// annotation is an ECDSA signature of the payload by the key.
func TestSignatureImage(t *testing.T) {
	key, pub := testKey(t, "pw")
	s, err := LoadKey(key, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	d := digest.FromString("image")
	img, err := s.SignatureImage("example.com/app", d)
	if err != nil {
		t.Fatal(err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(img.Bytes(img.Desc), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Layers) != 1 || m.Layers[0].MediaType != MediaTypeSimpleSigning {
		t.Fatalf("manifest %+v", m)
	}
	payload := img.Bytes(m.Layers[0])
	var p simpleSigning
	if err := json.Unmarshal(payload, &p); err != nil || p.Critical.Image.DockerManifestDigest != d.String() || p.Critical.Identity.DockerReference != "example.com/app" {
		t.Errorf("payload %s (%v)", payload, err)
	}
	sig, _ := base64.StdEncoding.DecodeString(m.Layers[0].Annotations[AnnotationSignature])
	h := sha256.Sum256(payload)
	if !ecdsa.VerifyASN1(pub, h[:], sig) {
		t.Error("the signature does not verify with the public key")
	}
	if SigTag(d) != "sha256-"+d.Encoded()+".sig" || AttTag(d) != "sha256-"+d.Encoded()+".att" {
		t.Errorf("tags %s %s", SigTag(d), AttTag(d))
	}
}

// TestAttestationImage: each statement becomes a DSSE envelope layer whose
// signature covers the pre-authentication encoding.
func TestAttestationImage(t *testing.T) {
	key, pub := testKey(t, "pw")
	s, _ := LoadKey(key, []byte("pw"))
	st := []byte(`{"_type":"https://in-toto.io/Statement/v1"}`)
	img, err := s.AttestationImage([]Statement{{Data: st, PredicateType: "https://slsa.dev/provenance/v1"}})
	if err != nil {
		t.Fatal(err)
	}
	var m ocispec.Manifest
	json.Unmarshal(img.Bytes(img.Desc), &m)
	if len(m.Layers) != 1 || m.Layers[0].MediaType != MediaTypeDSSE || m.Layers[0].Annotations[AnnotationPredicate] != "https://slsa.dev/provenance/v1" {
		t.Fatalf("manifest %+v", m)
	}
	var env dsseEnvelope
	if err := json.Unmarshal(img.Bytes(m.Layers[0]), &env); err != nil {
		t.Fatal(err)
	}
	body, _ := base64.StdEncoding.DecodeString(env.Payload)
	sig, _ := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	h := sha256.Sum256(pae(env.PayloadType, body))
	if string(body) != string(st) || env.PayloadType != payloadTypeInToto || !ecdsa.VerifyASN1(pub, h[:], sig) {
		t.Errorf("envelope %+v does not verify", env)
	}
}
