package importrules

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// listModule runs `go list -deps -json ./...` at the module root.
func listModule(t *testing.T) []Package {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the module's packages: %v", err)
	}
	cmd := exec.Command(goBin, "list", "-deps", "-json", "./...")
	cmd.Dir = filepath.Join("..", "..")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []Package
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p Package
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestModuleFollowsRules checks the module against the rules table:
// imports between packages, network imports, test helpers, and the
// environment, the clock and printing in library code.
func TestModuleFollowsRules(t *testing.T) {
	pkgs := listModule(t)
	seen := 0
	for _, v := range CheckImports(pkgs, Rules) {
		t.Error(v)
	}
	for _, p := range pkgs {
		name, ok := rel(p.ImportPath)
		if !ok {
			continue
		}
		seen++
		// Read the directory so that go test's cache notices added files.
		if _, err := os.ReadDir(p.Dir); err != nil {
			t.Fatal(err)
		}
		if !Rules[name].Library {
			continue
		}
		bad, err := CheckCalls(p.Dir, p.GoFiles)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range bad {
			t.Error(v)
		}
	}
	if seen < 8 {
		t.Fatalf("go list found %d packages of %s, want the whole module", seen, Module)
	}
}

// TestCheckImportsFindsViolations plants each kind of import violation.
func TestCheckImportsFindsViolations(t *testing.T) {
	m := func(p string) string { return Module + "/" + p }
	pkgs := []Package{
		{ImportPath: m("spec"), Imports: []string{m("location"), m("output")}, Deps: []string{"net/url", "net/http"}},
		{ImportPath: m("assemble"), Imports: []string{m("spec"), "net/http"}},
		{ImportPath: m("resolve"), Imports: []string{m("internal/testbase")}},
		{ImportPath: m("newpkg")},
		{ImportPath: m("location"), Imports: []string{"fmt"}},
		{ImportPath: m("internal/testbase"), Imports: []string{m("internal/e2e")}},
		{ImportPath: "github.com/other/x", Imports: []string{m("output")}},
	}
	got := CheckImports(pkgs, Rules)
	want := []string{
		"assemble may not import net/http",
		"newpkg: not in the rules table",
		"resolve imports the test helper internal/testbase outside its tests",
		"spec may not depend on net/http",
		"spec may not import output",
	}
	if len(got) != len(want) {
		t.Errorf("got %d violations, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, w) }) {
			t.Errorf("no violation %q in:\n%s", w, strings.Join(got, "\n"))
		}
	}
}

// TestCheckCallsFindsViolations plants each forbidden use in a source file
// and checks that a clean file passes.
func TestCheckCallsFindsViolations(t *testing.T) {
	dir := t.TempDir()
	bad := `package x

import (
	"fmt"
	"log"
	"os"
	clock "time"
)

func f() {
	_ = os.Getenv("HOME")
	_, _ = os.LookupEnv("HOME")
	_ = os.Environ()
	_ = clock.Now()
	fmt.Println("hi")
	fmt.Fprintln(os.Stderr, "hi")
	log.Printf("x")
	println("x")
}
`
	clean := `package x

import (
	"fmt"
	"io"
	"os"
	"time"
)

func g(w io.Writer) error {
	_, err := fmt.Fprintln(w, time.Unix(0, 0), os.Getpagesize())
	return err
}
`
	for name, src := range map[string]string{"bad.go": bad, "clean.go": clean} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := CheckCalls(dir, []string{"bad.go", "clean.go"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"bad.go:11:6: library code uses os.Getenv", "bad.go:12:9: library code uses os.LookupEnv",
		"bad.go:13:6: library code uses os.Environ", "bad.go:14:6: library code uses time.Now",
		"bad.go:15:2: library code uses fmt.Println", "bad.go:16:15: library code uses os.Stderr",
		"bad.go:17:2: library code uses log.Printf", "bad.go:18:2: library code uses the builtin println"}
	if len(got) != len(want) {
		t.Errorf("got %d violations, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.HasSuffix(g, w) }) {
			t.Errorf("no violation %q in:\n%s", w, strings.Join(got, "\n"))
		}
	}
}
