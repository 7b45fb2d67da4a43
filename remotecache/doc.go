// Package remotecache is a layer cache shared between machines through a
// registry repository (--cache-repo REGISTRY/REPO): a CI runner with an
// empty cache directory and a fresh checkout finds the layers another
// runner built, by shape key, and reuses their blobs instead of
// compressing and uploading them again.
//
// Each record is an OCI artifact: an image manifest with artifactType
// application/vnd.ybuild.layer-cache.v1, the empty config, the layer blob as
// its only layer, and the layer's DiffID and shape key in annotations,
// tagged ybuild-layer-<shape>. Any registry that stores OCI 1.1 artifacts
// (or plain image manifests) holds them; tag retention policies or
// `skopeo delete` expire them, and registry garbage collection then frees
// the blobs.
//
// Nothing read from the repository is trusted: a record is used only when
// the layer's own tar has the recorded DiffID, and its blob only after its
// digest, size and uncompressed DiffID are checked (assemble does this).
// Any failure to reach the repository, or a denied push, costs one warning
// and the build goes on without it.
package remotecache
