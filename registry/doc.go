// Package registry is ybuild's one registry client, shared by resolve
// (pulling bases) and output (pushing images): options, hosts and TLS
// (containerd hosts.toml, --insecure-registry, extra CAs), credentials
// (docker config.json and containers auth.json, credsStore and
// credHelpers), the retry policy, redirects that keep credentials on their
// origin, references, and errors that say which host, repository and
// credentials were involved, never the secret.
//
// A Session is access to one repository through a containerd resolver. A
// blob source whose blobs live in a registry implements Origin, so that a
// pusher can mount them (same registry) or stream them (another one),
// whatever kind of base they came from.
package registry
