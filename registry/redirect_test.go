package registry

import (
	"context"
	"net/http"
	"testing"
)

// hostAuthorizer is a docker.Authorizer holding credentials for one host.
type hostAuthorizer string

func (h hostAuthorizer) Authorize(_ context.Context, req *http.Request) error {
	if req.URL.Host == string(h) {
		req.Header.Set("Authorization", "Bearer for-"+string(h))
	}
	return nil
}

func (hostAuthorizer) AddResponses(context.Context, []*http.Response) error { return nil }

func TestCheckRedirect(t *testing.T) {
	first, _ := http.NewRequest(http.MethodGet, "https://reg.example/v2/x/blobs/sha256:1", nil)
	check := checkRedirect(hostAuthorizer("cdn.example"))
	tests := []struct{ to, want string }{
		{"https://reg.example/v2/x/blobs/sha256:2", "Basic origin"},
		{"https://REG.example:443/elsewhere", "Basic origin"},
		{"https://reg.example:9000/bucket/1", ""}, // another port
		{"http://reg.example/bucket/1", ""},       // clear text
		{"https://s3.example/bucket/1", ""},       // another host
		{"https://cdn.example/1", "Bearer for-cdn.example"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodGet, tt.to, nil)
		req.Header.Set("Authorization", "Basic origin") // as Go's client copies it
		if err := check(req, []*http.Request{first}); err != nil {
			t.Fatalf("%s: %v", tt.to, err)
		}
		if got := req.Header.Get("Authorization"); got != tt.want {
			t.Errorf("redirect to %s: Authorization %q, want %q", tt.to, got, tt.want)
		}
	}
	via := make([]*http.Request, maxRedirects)
	via[0] = first
	if err := check(first, via); err == nil {
		t.Fatal("no error after too many redirects")
	}
}
