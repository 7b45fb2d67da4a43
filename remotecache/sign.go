package remotecache

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Annotations of a signed record: the Ed25519 signature of the record's
// statement (see statement) in standard base64, and the signer's key ID.
const (
	AnnotationSignature = "dev.ybuild.layer.signature"
	AnnotationSigner    = "dev.ybuild.layer.signer"
)

// Keys sign the records a build stores and say which signers a build
// trusts. A record signed by a trusted key is believed about its DiffID:
// the build checks the blob's digest and that its own sources have that
// DiffID, but does not decompress the blob to compare it with them (the
// costliest part of using a record). Unsigned or untrusted records are
// checked in full, as without keys.
type Keys struct {
	// Sign, if set, signs every record this build stores; its public key
	// is trusted too.
	Sign ed25519.PrivateKey
	// Trust lists the public keys whose records are believed.
	Trust []ed25519.PublicKey
}

// trusted returns the keys to verify with: Trust and Sign's public key.
func (k Keys) trusted() []ed25519.PublicKey {
	out := append([]ed25519.PublicKey(nil), k.Trust...)
	if k.Sign != nil {
		out = append(out, k.Sign.Public().(ed25519.PublicKey))
	}
	return out
}

// KeyID names a public key: the first 16 hex digits of its SHA-256.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// statement is what a record's signature covers: every claim the record
// makes, one per line, under a fixed header.
func statement(shape string, layer ocispec.Descriptor, diffID digest.Digest) []byte {
	return []byte(strings.Join([]string{"ybuild layer cache record v1", shape, layer.MediaType,
		layer.Digest.String(), strconv.FormatInt(layer.Size, 10), diffID.String()}, "\n") + "\n")
}

// signRecord adds the signature annotations to a record's annotations.
func signRecord(key ed25519.PrivateKey, ann map[string]string, shape string, layer ocispec.Descriptor, diffID digest.Digest) {
	sig := ed25519.Sign(key, statement(shape, layer, diffID))
	ann[AnnotationSignature] = base64.StdEncoding.EncodeToString(sig)
	ann[AnnotationSigner] = KeyID(key.Public().(ed25519.PublicKey))
}

// signedBy reports whether the record's annotations hold a valid signature
// of its claims by one of keys.
func signedBy(keys []ed25519.PublicKey, ann map[string]string, shape string, layer ocispec.Descriptor, diffID digest.Digest) bool {
	sig, err := base64.StdEncoding.DecodeString(ann[AnnotationSignature])
	if err != nil || len(sig) != ed25519.SignatureSize {
		return false
	}
	msg := statement(shape, layer, diffID)
	for _, k := range keys {
		if KeyID(k) == ann[AnnotationSigner] && ed25519.Verify(k, msg, sig) {
			return true
		}
	}
	return false
}

// ParsePrivateKey reads an Ed25519 private key in PEM (PKCS #8, "PRIVATE
// KEY", as `openssl genpkey -algorithm ed25519` writes it).
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PEM \"PRIVATE KEY\" (openssl genpkey -algorithm ed25519 writes one)")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	ed, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("private key: %T, want an Ed25519 key", k)
	}
	return ed, nil
}

// ParsePublicKey reads an Ed25519 public key in PEM (PKIX, "PUBLIC KEY",
// as `openssl pkey -pubout` writes it).
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "PUBLIC KEY" {
		return nil, errors.New("not a PEM \"PUBLIC KEY\" (openssl pkey -pubout writes one)")
	}
	k, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	ed, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("public key: %T, want an Ed25519 key", k)
	}
	return ed, nil
}
