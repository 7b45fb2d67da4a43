// Package registrytest runs the real CNCF distribution registry in-process
// on a 127.0.0.1 listener for tests, in three setups: anonymous plain HTTP,
// htpasswd Basic auth over TLS with a generated CA, and token auth with a
// small token issuer (the Docker Hub flow). A counting handler in front of
// the registry records every request so tests can assert what was (not)
// downloaded, uploaded or mounted. Options.RedirectBlobs sends blob
// downloads to a second "storage" server, as registries backed by object
// storage do, and Registry.Inject scripts failures (429, 5xx, connections
// broken mid-body, canned responses).
package registrytest
