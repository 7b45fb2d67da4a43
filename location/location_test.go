package location

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		use  Use
		want Location
	}{
		{"scratch", Base, Location{Kind: Scratch}},
		{"oci:dir", Base, Location{Kind: OCI, Path: "dir"}},
		{"oci:dir:v1", Output, Location{Kind: OCI, Path: "dir", Ref: "v1"}},
		{"oci:dir:alpine:3.20", Output, Location{Kind: OCI, Path: "dir", Ref: "alpine:3.20"}},
		{"oci-archive:a.tar:v1.2-rc_1+b--2", Output, Location{Kind: OCIArchive, Path: "a.tar", Ref: "v1.2-rc_1+b--2"}},
		{"oci:dir:sha256:abc", Base, Location{Kind: OCI, Path: "dir", Ref: "sha256:abc"}},
		{"oci-archive:/a/b.tar:latest", Base, Location{Kind: OCIArchive, Path: "/a/b.tar", Ref: "latest"}},
		{"docker-archive:x.tar", Output, Location{Kind: DockerArchive, Path: "x.tar"}},
		{"docker-archive:x.tar:foo:1", Output, Location{Kind: DockerArchive, Path: "x.tar", Ref: "foo:1"}},
		{"docker-archive:x.tar:@1", Base, Location{Kind: DockerArchive, Path: "x.tar", Ref: "@1"}},
		{"docker://alpine:3.20", Base, Location{Kind: Registry, Ref: "alpine:3.20"}},
		{"docker://127.0.0.1:5000/a/b:t", Output, Location{Kind: Registry, Ref: "127.0.0.1:5000/a/b:t"}},
		{"alpine", Base, Location{Kind: Registry, Ref: "alpine"}},
		{"localhost:5000/x@sha256:" + strings.Repeat("a", 64), Base, Location{Kind: Registry, Ref: "localhost:5000/x@sha256:" + strings.Repeat("a", 64)}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, tt.use)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			continue
		}
		want := tt.in
		if got.Kind == Registry && !strings.HasPrefix(want, "docker://") {
			want = "docker://" + want
		}
		if s := got.String(); s != want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, s, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in   string
		use  Use
		want string
	}{
		{"oci:", Base, `oci: needs a path, got "oci:"`},
		{"oci::ref", Output, `oci: needs a path, got "oci::ref"`},
		{"docker-archive:", Output, `docker-archive: needs a path, got "docker-archive:"`},
		{"scratch", Output, `must be oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE[:NAME:TAG] or docker://REF, got "scratch"`},
		{"alpine", Output, `must be oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE[:NAME:TAG] or docker://REF, got "alpine"`},
		{"Alpine", Base, `must be scratch, oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE[:NAME:TAG], docker://REF or an image reference, got "Alpine": invalid reference format`},
		{"oci:d:a/b", Output, `oci:d:a/b: the ref after the path may not contain '/' or '@', got "a/b"`},
		{"oci:d:Bad$", Output, `oci:d:Bad$: the ref after the path must be letters and digits joined by -, ., _, : or + (an OCI ref name), got "Bad$"`},
		{"oci-archive:a.tar:my tag", Output, `got "my tag"`},
		{"oci:d:-v1", Output, `got "-v1"`},
		{"oci:d:v1.", Output, `got "v1."`},
		{"docker-archive:x.tar:Bad", Output, `docker-archive:x.tar:Bad: invalid image reference "Bad"`},
		{"docker-archive:x.tar:@1", Output, `invalid image reference "@1"`},
		{"docker://", Base, `invalid image reference ""`},
		{"docker://a@sha256:12", Output, `invalid image reference "a@sha256:12"`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in, tt.use)
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error = %v, want one containing %q", tt.in, err, tt.want)
		}
	}
}

func TestAbs(t *testing.T) {
	l, _ := Parse("oci:build/../out:v1", Output)
	if got := l.Abs("/w").Path; got != "/w/out" {
		t.Errorf("Abs path = %q", got)
	}
	l, _ = Parse("docker://x", Output)
	if got := l.Abs("/w"); got != l || got.Local() {
		t.Errorf("Abs of a registry = %+v", got)
	}
}

func TestSyntaxNamesEveryKind(t *testing.T) {
	for _, k := range kinds {
		if !strings.Contains(Syntax(Base), k.base) {
			t.Errorf("Syntax(Base) = %q lacks %q", Syntax(Base), k.base)
		}
	}
}
