package registrytest

import (
	"encoding/json"
	"net/http"
	"testing"
)

// Tags lists the tags of repository repo on the anonymous registry at host
// (GET /v2/REPO/tags/list).
func Tags(t testing.TB, host, repo string) []string {
	t.Helper()
	resp, err := http.Get("http://" + host + "/v2/" + repo + "/tags/list")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("tags of %s: %s", repo, resp.Status)
	}
	var tags struct{ Tags []string }
	if err := json.NewDecoder(resp.Body).Decode(&tags); err != nil {
		t.Fatal(err)
	}
	return tags.Tags
}
