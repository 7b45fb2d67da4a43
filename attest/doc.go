// Package attest makes the supply-chain documents of a built image: an SPDX
// 2.3 SBOM per platform manifest (the base, each ybuild layer, every file
// ybuild added with its SHA-256, the Go modules of Go binaries), a SLSA v1.0
// provenance statement, and the OCI 1.1 artifact manifests that attach them
// to the image as referrers. Every document is deterministic: the same build
// gives the same bytes (times come from the image's created time, the SBOM
// namespace from the manifest digest). The image never depends on them.
package attest
