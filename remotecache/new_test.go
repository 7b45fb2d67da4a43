package remotecache_test

import (
	"strings"
	"testing"

	"github.com/ybuild/ybuild/remotecache"
)

// TestNewNamesARepository: --cache-repo takes REGISTRY/REPO; any tag or
// digest is refused with one line, an explicit ":latest" too (it used to
// pass, since a bare name parses with the tag "latest").
func TestNewNamesARepository(t *testing.T) {
	for _, repo := range []string{
		"127.0.0.1:5000/team/cache:latest",
		"127.0.0.1:5000/team/cache:v1",
		"127.0.0.1:5000/team/cache@sha256:" + strings.Repeat("a", 64),
		"127.0.0.1:5000/team/cache:latest@sha256:" + strings.Repeat("a", 64),
	} {
		if _, err := remotecache.New(repo, nil, nil); err == nil || !strings.Contains(err.Error(), "name a repository, without tag or digest") {
			t.Errorf("New(%q): error %v, want a refusal naming the rule", repo, err)
		}
	}
	c, err := remotecache.New("127.0.0.1:5000/team/cache", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Name(); got != "127.0.0.1:5000/team/cache" {
		t.Errorf("Name() = %q", got)
	}
	if r := c.Repository(); r.Tag != "" || r.Digest != "" {
		t.Errorf("Repository() = %+v, want no tag or digest", r)
	}
}
