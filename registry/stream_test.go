package registry

import (
	"net/http"
	"net/url"
	"testing"
)

// TestUploadLocation: relative and absolute locations on the same host are
// followed with the request's scheme; another host is refused.
func TestUploadLocation(t *testing.T) {
	base, _ := url.Parse("https://reg.example:5000/v2/app/blobs/uploads/")
	for loc, want := range map[string]string{
		"/v2/app/blobs/uploads/u1?_state=x":                    "https://reg.example:5000/v2/app/blobs/uploads/u1?_state=x",
		"http://reg.example:5000/v2/app/blobs/uploads/u2":      "https://reg.example:5000/v2/app/blobs/uploads/u2",
		"https://REG.example:5000/v2/app/blobs/uploads/u3?a=b": "https://REG.example:5000/v2/app/blobs/uploads/u3?a=b",
		"https://storage.example/v2/app/blobs/uploads/u4":      "",
		"https://reg.example:5001/v2/app/blobs/uploads/u5":     "",
		"":                                       "",
		"//evil.example/v2/app/blobs/uploads/u6": "",
		"https://user:pw@reg.example:5000/v2/app/blobs/uploads/": "https://reg.example:5000/v2/app/blobs/uploads/",
	} {
		resp := &http.Response{Header: http.Header{"Location": {loc}}}
		got, err := uploadLocation(base, resp)
		switch {
		case want == "" && err == nil:
			t.Errorf("%q: followed to %s, want it refused", loc, got)
		case want != "" && err != nil:
			t.Errorf("%q: %v", loc, err)
		case want != "" && got.String() != want:
			t.Errorf("%q: %s, want %s", loc, got, want)
		}
	}
}
