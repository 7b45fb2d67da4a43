package spec

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// mustLoad loads testdata/good/build.yaml.
func mustLoad(t *testing.T, opts LoadOptions) *Build {
	t.Helper()
	b, err := Load("testdata/good/build.yaml", opts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLoadDefaultsAndCascade(t *testing.T) {
	b := mustLoad(t, LoadOptions{})
	if b.Name != "good" || b.Format != FormatOCI || b.Compression != CompressionGzip {
		t.Errorf("name, format, compression = %q, %q, %q", b.Name, b.Format, b.Compression)
	}
	f := b.Layers[0].Files
	tests := []struct {
		name      string
		got, want string
	}{
		{"mode read as text", f[0].Mode, "0755"},
		{"owner from layer", f[0].Owner, "1000:1000"},
		{"fileMode from defaults", f[0].FileMode, "0640"},
		{"dirMode built in", f[0].DirMode, DefaultDirMode},
		{"mtime from defaults", f[0].Mtime, "created"},
		{"owner on entry", f[4].Owner, "2000:2000"},
		{"dirMode on entry", f[4].DirMode, "0700"},
		{"dst normalised", f[1].Dst, "/srv/www/"},
		{"layer attrs kept", b.Layers[0].FileMode, ""},
		{"defaults kept", b.Defaults.DirMode, ""},
		{"TARGET src left for ForPlatform", f[0].Src, "bin/app-${TARGETARCH}"},
		{"tag substituted", b.Tags[0], "example.com/team/app:dev"},
		{"entrypoint scalar", strings.Join(*b.Config.Entrypoint, ","), "/app/bin/app"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestSubstitution(t *testing.T) {
	b := mustLoad(t, LoadOptions{Args: map[string]string{"VERSION": "1.2.3", "EXTRA": "x"}})
	env := b.Config.Env
	if v, _ := env.Get("APP_VERSION"); *v != "1.2.3" {
		t.Errorf("APP_VERSION = %q", *v)
	}
	if v, _ := env.Get("PATH"); *v != "/app/bin:$PATH" {
		t.Errorf("PATH = %q", *v)
	}
	if v, _ := env.Get("HOME"); *v != "${HOME}" {
		t.Errorf("unknown name in env: HOME = %q", *v)
	}
	if v, ok := env.Get("DEBUG"); !ok || v != nil {
		t.Errorf("DEBUG = %v, %v; want null kept", v, ok)
	}
	if v, _ := b.Config.Labels.Get("org.opencontainers.image.version"); *v != "1.2.3" {
		t.Errorf("label = %q", *v)
	}
}

// TestRefers checks that Load records the names the spec refers to, in
// values, keys and strings that wait for a platform, so that cmd can tell an
// --arg that changes nothing.
func TestRefers(t *testing.T) {
	doc := "apiVersion: ybuild/v1\nbase: scratch\nargs: {A: a, UNUSED: u}\n" +
		"files:\n  - {content: \"${A}-${TARGETARCH}\", dst: \"/${B}/x\"}\n" +
		"annotations: {\"${K}\": v}\nconfig: {env: {E: \"${C}$HOME\"}}\n"
	b, err := Parse([]byte(doc), "r.yaml", "", LoadOptions{Args: map[string]string{"B": "b", "C": "c", "K": "k", "VERSON": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"A": true, "B": true, "C": true, "K": true, "UNUSED": false, "VERSON": false, "TARGETARCH": false, "HOME": false} {
		if got := b.Refers(name); got != want {
			t.Errorf("Refers(%s) = %v, want %v", name, got, want)
		}
	}
	if c, err := b.ForPlatform(ocispec.Platform{OS: "linux", Architecture: "arm64"}); err != nil || !c.Refers("A") || c.Refers("TARGETARCH") {
		t.Errorf("ForPlatform: %v; its copy must keep what Load recorded", err)
	}
}

func TestForPlatform(t *testing.T) {
	b := mustLoad(t, LoadOptions{})
	c, err := b.ForPlatform(ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"})
	if err != nil {
		t.Fatal(err)
	}
	f := c.Layers[0].Files
	if f[0].Src != "bin/app-arm64" {
		t.Errorf("src = %q", f[0].Src)
	}
	if want := "v=dev on linux/arm64/v8 ${LITERAL}\n"; *f[2].Content != want {
		t.Errorf("content = %q, want %q", *f[2].Content, want)
	}
	if b.Layers[0].Files[0].Src != "bin/app-${TARGETARCH}" || *b.Layers[0].Files[2].Content == *f[2].Content {
		t.Error("ForPlatform changed its receiver")
	}
	if _, err := b.ForPlatform(ocispec.Platform{OS: "linux", Architecture: "s390x"}); !errors.Is(err, ErrInvalid) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing per-platform source: %v", err)
	}
}

func TestForPlatformEscapes(t *testing.T) {
	doc := "apiVersion: ybuild/v1\nbase: scratch\nfiles:\n  - {content: \"${A}-${TARGETOS}-$${TARGETARCH}\", dst: \"/${TARGETARCH}/${A}\"}\n"
	b, err := Parse([]byte(doc), "b.yaml", "", LoadOptions{Args: map[string]string{"A": "${TARGETOS}"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := b.ForPlatform(ocispec.Platform{OS: "linux", Architecture: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	f := c.Layers[0].Files[0]
	if want := "${TARGETOS}-linux-${TARGETARCH}"; *f.Content != want {
		t.Errorf("content = %q, want %q", *f.Content, want)
	}
	if want := "/amd64/${TARGETOS}"; f.Dst != want {
		t.Errorf("dst = %q, want %q", f.Dst, want)
	}
}

func TestPosition(t *testing.T) {
	b := mustLoad(t, LoadOptions{})
	c, err := b.ForPlatform(ocispec.Platform{OS: "linux", Architecture: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want Pos
	}{
		{"base", Pos{2, 7}},
		{"layers[0].files[0].src", Pos{11, 15}},
		{"layers[0].files[0].owner", Pos{9, 12}},    // from the layer
		{"layers[0].files[0].fileMode", Pos{6, 36}}, // from defaults
		{"layers[0].files[4].dst", Pos{15, 15}},
		{"config.labels[\"org.opencontainers.image.version\"]", Pos{21, 46}},
		{"config.env.APP_VERSION", Pos{20, 46}},
		{"layers[0].files[0].nothing", Pos{11, 9}}, // closest ancestor
	}
	for _, tt := range tests {
		for _, bb := range []*Build{b, c} {
			if got, ok := bb.Position(tt.path); !ok || got != tt.want {
				t.Errorf("Position(%s) = %v, %v; want %v", tt.path, got, ok, tt.want)
			}
		}
	}
}

func TestFilesShorthand(t *testing.T) {
	b, err := Parse([]byte("apiVersion: ybuild/v1\nbase: scratch\nfiles:\n  - {content: x, dst: /a}\n"), "b.yaml", "", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Layers) != 1 || len(b.Files) != 0 || b.Layers[0].Files[0].Owner != "0:0" {
		t.Fatalf("layers = %+v, files = %+v", b.Layers, b.Files)
	}
	if p, _ := b.Position("files[0].dst"); p != (Pos{4, 23}) {
		t.Errorf("position = %v", p)
	}
	if p, _ := b.Position("layers[0].files[0].dst"); p != (Pos{4, 23}) {
		t.Errorf("position = %v", p)
	}
}

func TestValidateDoesNotMutate(t *testing.T) {
	b := &Build{APIVersion: APIVersion, Base: "scratch", Layers: []Layer{{Files: []File{{Content: new(string), Dst: "/a//b"}}}}}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	if b.Layers[0].Files[0].Dst != "/a//b" || b.Format != "" {
		t.Error("Validate changed the build")
	}
}

func TestMergeKeysAndAliases(t *testing.T) {
	doc := "apiVersion: ybuild/v1\nbase: scratch\nx-attrs: &a {owner: \"1:1\"}\n"
	if _, err := Parse([]byte(doc), "b.yaml", "", LoadOptions{}); err == nil {
		t.Error("unknown x-attrs accepted")
	}
	doc = "apiVersion: ybuild/v1\nbase: scratch\ndefaults: &a {owner: \"1:1\"}\nlayers:\n  - <<: *a\n    files: [{dir: true, dst: /d}]\n"
	b, err := Parse([]byte(doc), "b.yaml", "", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Layers[0].Owner != "1:1" {
		t.Errorf("merged owner = %q", b.Layers[0].Owner)
	}
}

func TestParseHelpers(t *testing.T) {
	if m, err := ParseMode("4755"); err != nil || m != fs.ModeSetuid|0o755 {
		t.Errorf("ParseMode(4755) = %v, %v", m, err)
	}
	if u, g, err := ParseOwner("1000:4294967295"); err != nil || u != 1000 || g != 4294967295 {
		t.Errorf("ParseOwner = %d, %d, %v", u, g, err)
	}
	p, tm, err := ParseMtime("2024-01-01T01:00:00.5+01:00")
	if err != nil || p != MtimeFixed || !tm.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("ParseMtime = %v, %v, %v", p, tm, err)
	}
	for in, want := range map[string]string{"/a/./b//c/": "/a/b/c/", "/a/../b": "/b", "/": "/", "/a/..": "/"} {
		if got, err := CleanDst(in); err != nil || got != want {
			t.Errorf("CleanDst(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/nope.yaml", LoadOptions{})
	if !errors.Is(err, ErrInvalid) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v", err)
	}
}

// TestLoadDirectoryHint checks that -f DIR, a directory holding a
// build.yaml, says which file was likely meant; a directory without one
// gets no hint.
func TestLoadDirectoryHint(t *testing.T) {
	_, err := Load("testdata/good", LoadOptions{})
	want := "testdata/good: cannot read spec: not a regular file (a directory); did you mean testdata/good/build.yaml?"
	if !errors.Is(err, ErrInvalid) || err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	if _, err := Load("testdata", LoadOptions{}); err == nil || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("err = %v, want no hint", err)
	}
}
