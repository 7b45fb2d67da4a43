// Package testbase builds busybox-based base images for tests: an OCI image
// layout with a two-platform index and an attestation manifest, an OCI
// archive, a legacy docker-save archive and a Docker schema2 layout.
//
// The images are written by hand with archive/tar and compress/gzip, so they
// do not depend on ybuild's own assemble code. Every call writes byte-for-byte
// the same files, so digests are stable across runs.
package testbase
