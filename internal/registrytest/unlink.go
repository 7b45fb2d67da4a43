package registrytest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"
)

// Unlink removes the blob dgst from the repository repo (NAME, without
// the host), as a blob DELETE or an expiry policy does: the repository's
// HEAD and GET of it answer 404 and a mount from it is refused. Another
// repository holding the blob keeps it.
func (r *Registry) Unlink(t testing.TB, repo string, dgst digest.Digest) {
	t.Helper()
	link := filepath.Join(r.dir, "storage", "docker", "registry", "v2", "repositories", filepath.FromSlash(repo),
		"_layers", dgst.Algorithm().String(), dgst.Encoded(), "link")
	if err := os.Remove(link); err != nil {
		t.Fatalf("unlink %s from %s: %v", dgst, repo, err)
	}
}
