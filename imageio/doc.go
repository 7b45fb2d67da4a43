// Package imageio holds the image-format primitives that resolve, output,
// cache, registry and assemble share, each written once: the reader that
// verifies a blob against its descriptor (ErrDigestMismatch), the reader
// that stops when a context is done, compression sniffing, the path of a
// blob inside an OCI layout, the Docker media types and the entry of a
// `docker save` manifest.json. It imports nothing of ybuild.
package imageio
