package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.yaml")
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Parse(data, "fuzz.yaml", "", LoadOptions{Args: map[string]string{"A": "${B}"}})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error without file name: %v", err)
			}
			return
		}
		if _, err := b.ForPlatform(ocispec.Platform{OS: "linux", Architecture: "amd64"}); err != nil && !strings.HasPrefix(err.Error(), "fuzz.yaml") {
			t.Fatalf("error without file name: %v", err)
		}
	})
}

func FuzzNormalisePath(f *testing.F) {
	for _, s := range []string{"/", "/a/b/", "/a/../b", "/../a", "a", "/a/.wh.b", "//a//./b/..", "/a/..."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		c, err := CleanDst(p)
		if err != nil {
			return
		}
		if !strings.HasPrefix(c, "/") || strings.Contains(c, "//") || strings.Contains(c+"/", "/../") || strings.Contains(c+"/", "/./") {
			t.Fatalf("CleanDst(%q) = %q", p, c)
		}
		if again, err := CleanDst(c); err != nil || again != c {
			t.Fatalf("CleanDst not idempotent: %q → %q → %q, %v", p, c, again, err)
		}
	})
}
