package sign

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// The PEM block types of cosign private keys (the older and the current name).
const (
	cosignKeyType   = "ENCRYPTED COSIGN PRIVATE KEY"
	sigstoreKeyType = "ENCRYPTED SIGSTORE PRIVATE KEY"
)

// ErrBadKey is returned for a key file that is not a cosign private key or
// that the password does not open.
var ErrBadKey = errors.New("not a usable cosign private key")

// Signer signs payloads with one private key.
type Signer struct {
	sv signature.SignerVerifier
}

// LoadKey opens a cosign-generated private key (`cosign generate-key-pair`)
// with its password. Ed25519 keys sign with Ed25519ph, as cosign does.
func LoadKey(pemData, password []byte) (*Signer, error) {
	block, _ := pem.Decode(pemData)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block", ErrBadKey)
	}
	if block.Type != cosignKeyType && block.Type != sigstoreKeyType {
		return nil, fmt.Errorf("%w: PEM type %q, want %q", ErrBadKey, block.Type, sigstoreKeyType)
	}
	der, err := encrypted.Decrypt(block.Bytes, password)
	if err != nil {
		return nil, fmt.Errorf("%w: decrypt (wrong COSIGN_PASSWORD?): %w", ErrBadKey, err)
	}
	pk, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadKey, err)
	}
	sv, err := signature.LoadDefaultSignerVerifier(pk, options.WithED25519ph())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadKey, err)
	}
	return &Signer{sv: sv}, nil
}

// Sign signs payload and returns the raw signature.
func (s *Signer) Sign(payload []byte) ([]byte, error) {
	sig, err := s.sv.SignMessage(bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return sig, nil
}

// Verify checks a signature made by this key.
func (s *Signer) Verify(sig, payload []byte) error {
	return s.sv.VerifySignature(bytes.NewReader(sig), bytes.NewReader(payload))
}
