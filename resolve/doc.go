// Package resolve turns a base reference (scratch, an OCI layout, an OCI
// archive, a docker archive or a registry reference) into manifests, configs
// and verified blob readers for the selected platforms.
package resolve
