package assemble

import (
	"archive/tar"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNormalise(t *testing.T) {
	cases := []struct {
		in, want string
		wantErr  error
	}{
		{in: "/app/bin/", want: "app/bin"},
		{in: "./a//b/./c", want: "a/b/c"},
		{in: "/", want: ""},
		{in: "", want: ""},
		{in: "a/../b", wantErr: ErrInvalidPath},
		{in: "..", wantErr: ErrInvalidPath},
		{in: "a/.wh.b", wantErr: ErrInvalidPath},
		{in: "a\x00b", wantErr: ErrInvalidPath},
		{in: "a/..b/.c", want: "a/..b/.c"},
	}
	for _, c := range cases {
		got, err := normalise(c.in)
		if got != c.want || !errors.Is(err, c.wantErr) {
			t.Errorf("normalise(%q) = %q, %v; want %q, %v", c.in, got, err, c.want, c.wantErr)
		}
	}
}

func FuzzNormalisePath(f *testing.F) {
	for _, s := range []string{"/a/b/", "./x", "a/../b", ".wh.x", "//", "a/./b", "\x00", "é/ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		n, err := normalise(p)
		if err != nil {
			return
		}
		if strings.HasPrefix(n, "/") || strings.HasSuffix(n, "/") || strings.Contains(n, "//") || strings.ContainsRune(n, 0) {
			t.Fatalf("normalise(%q) = %q: not clean", p, n)
		}
		for _, c := range strings.Split(n, "/") {
			if n != "" && (c == "" || c == "." || c == ".." || strings.HasPrefix(c, whiteoutPrefix)) {
				t.Fatalf("normalise(%q) = %q: bad component %q", p, n, c)
			}
		}
		if again, err := normalise(n); err != nil || again != n {
			t.Fatalf("not idempotent: %q → %q → %q, %v", p, n, again, err)
		}
	})
}

func TestComparePaths(t *testing.T) {
	want := []string{"a", "a/.wh..wh..opq", "a/.wh.-x", "a/.wh.z", "a/-b", "a/b", "a/b/c", "a/b-c", "a-b", "b"}
	got := slices.Clone(want)
	slices.Reverse(got)
	slices.SortFunc(got, comparePaths)
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestHeader(t *testing.T) {
	e := &entry{name: "a/b", kind: tar.TypeDir, meta: meta{mode: 0o2755, uid: 1, gid: 2,
		mtime: time.Date(2020, 1, 1, 0, 0, 0, 999, time.FixedZone("x", 7200))}, linkname: "ignored"}
	h := header(e)
	want := tar.Header{Typeflag: tar.TypeDir, Name: "a/b/", Mode: 0o2755, Uid: 1, Gid: 2,
		ModTime: time.Date(2019, 12, 31, 22, 0, 0, 0, time.UTC), Format: tar.FormatPAX}
	if h.Name != want.Name || h.Mode != want.Mode || !h.ModTime.Equal(want.ModTime) || h.ModTime.Nanosecond() != 0 ||
		h.Linkname != "" || h.Uname != "" || h.Format != tar.FormatPAX || !h.AccessTime.IsZero() {
		t.Errorf("header = %+v", h)
	}
}
