package depfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ybuild/ybuild/spec"
)

// TestEscape: GNU make's quoting, which differs between a rule's target
// and its prerequisites; names make cannot express are refused.
func TestEscape(t *testing.T) {
	for in, want := range map[string][2]string{
		"a/b.txt": {"a/b.txt", "a/b.txt"}, "my file": {`my\ file`, `my\ file`}, "a#b": {`a\#b`, `a\#b`},
		"$HOME": {"$$HOME", "$$HOME"}, "c:d": {`c\:d`, `c\:d`}, "50%": {`50%`, `50\%`}, `a\b`: {`a\b`, `a\b`},
		`a\ b`: {`a\\\ b`, `a\\\ b`}, "define": {"./define", "./define"}, "a/~root": {"a/~root", "a/~root"},
		"*": {`\*`, `\*`}, ".*": {`.\*`, `.\*`}, "q?": {`q\?`, `q\?`}, "[ab]": {`\[ab]`, `\[ab]`}, `a\*`: {`a\\\*`, `a\\\*`},
		"/x/.IGNORE": {"/x/.IGNORE", "/x/.IGNORE"}, ".Ignore": {".Ignore", ".Ignore"},
	} {
		pre, err := escape(in, false)
		target, err2 := escape(in, true)
		if err != nil || err2 != nil || pre != want[0] || target != want[1] {
			t.Errorf("escape(%q) = %q, %q (%v, %v), want %q, %q", in, pre, target, err, err2, want[0], want[1])
		}
	}
	for _, in := range []string{"a\nb", "a\tb", "a;b", "a=b", `a\`, "a\rb", ".IGNORE", ".SECONDEXPANSION", ".WAIT", "~root", "~root/x"} {
		if _, err := escape(in, false); !errors.Is(err, ErrPath) {
			t.Errorf("escape(%q): %v, want ErrPath", in, err)
		}
	}
}

func TestWrite(t *testing.T) {
	var b strings.Builder
	if err := Write(&b, "out/app.json", []string{"build.yaml", "src/a b"}); err != nil {
		t.Fatal(err)
	}
	want := "out/app.json: \\\n  build.yaml \\\n  src/a\\ b\n\nbuild.yaml:\n\nsrc/a\\ b:\n"
	if b.String() != want {
		t.Errorf("Write:\n%q\nwant\n%q", b.String(), want)
	}
}

// TestInputs lists files, trees (with directories) and glob matches plus
// the directories under the glob's base.
func TestInputs(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"one.txt", "tree/a", "tree/sub/b", "g/x.html", "g/deep/y.html", "g/z.css"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b := &spec.Build{Dir: dir, Base: "oci:base", Layers: []spec.Layer{{Files: []spec.File{
		{Src: "one.txt", Dst: "/one"}, {Src: "tree", Dst: "/t/"}, {Src: "g/*.html", Dst: "/g/"},
	}}}}
	got, err := Inputs(context.Background(), []*spec.Build{b}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var rel []string
	for _, p := range got {
		r, _ := filepath.Rel(dir, p)
		rel = append(rel, filepath.ToSlash(r))
	}
	want := "base/index.json base/oci-layout g g/deep g/x.html one.txt tree tree/a tree/sub tree/sub/b"
	if strings.Join(rel, " ") != want {
		t.Errorf("Inputs:\n%s\nwant\n%s", strings.Join(rel, " "), want)
	}
}
