// Package output writes a built image to its destinations: an OCI image
// layout, an OCI archive, a docker-loadable archive or a registry. Every
// writer is atomic: a failed write leaves the previous output or nothing.
package output
