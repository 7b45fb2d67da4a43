// Package sign signs images and attestations in cosign's format, so that
// `cosign verify --key` and `cosign verify-attestation --key` accept them:
// a simple-signing payload per manifest under the tag sha256-<hex>.sig and
// DSSE-wrapped in-toto statements under sha256-<hex>.att. Keys are cosign
// key pairs (encrypted PKCS#8 PEM); signing goes through
// github.com/sigstore/sigstore. No transparency log entry is made: a
// keyless signer (Fulcio certificate, Rekor bundle) would plug in as
// another Signer and add its certificate and bundle annotations.
package sign
