// Package lock is the lockfile model of a spec: build.lock beside
// build.yaml pins the base image reference as written to the digest it
// resolved to, and each platform's manifest digest. A build with a lock pulls
// the base by digest and never asks the registry what the tag points to.
//
// The file is YAML written in a fixed order with a comment header, so it is
// stable under review and meant to be checked in. Parse refuses anything it
// did not write: unknown fields, malformed digests, unsorted or duplicate
// platforms. This package neither resolves nor reads the network; cmd does.
package lock
