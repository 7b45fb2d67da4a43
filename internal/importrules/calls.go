package importrules

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"path/filepath"
	"strconv"
)

// forbidden lists, per standard package, the names library code may not
// use: the environment, the clock, and the process's stdout and stderr. A
// nil set forbids every name of the package.
var forbidden = map[string]map[string]bool{
	"os":   {"Getenv": true, "LookupEnv": true, "Environ": true, "ExpandEnv": true, "Stdout": true, "Stderr": true},
	"time": {"Now": true, "Since": true, "Until": true},
	"fmt":  {"Print": true, "Printf": true, "Println": true},
	"log":  nil,
}

// CheckCalls parses the Go files of a library package (names relative to
// dir) and returns one line per use of the environment, the clock or
// printing, with its file and line.
func CheckCalls(dir string, files []string) ([]string, error) {
	fset := token.NewFileSet()
	var out []string
	for _, f := range files {
		file, err := parser.ParseFile(fset, filepath.Join(dir, f), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", f, err)
		}
		out = append(out, fileCalls(fset, file)...)
	}
	return out, nil
}

// fileCalls reports the forbidden uses in one parsed file.
func fileCalls(fset *token.FileSet, file *ast.File) []string {
	names := map[string]string{} // local name → import path of a forbidden package
	for _, imp := range file.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if _, ok := forbidden[p]; !ok {
			continue
		}
		local := path.Base(p)
		if imp.Name != nil {
			local = imp.Name.Name
		}
		names[local] = p
	}
	var out []string
	report := func(n ast.Node, what string) {
		out = append(out, fmt.Sprintf("%s: %s", fset.Position(n.Pos()), what))
	}
	ast.Inspect(file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			id, ok := n.X.(*ast.Ident)
			if !ok {
				return true
			}
			if p, ok := names[id.Name]; ok && (forbidden[p] == nil || forbidden[p][n.Sel.Name]) {
				report(n, fmt.Sprintf("library code uses %s.%s", p, n.Sel.Name))
			}
		case *ast.CallExpr:
			if id, ok := n.Fun.(*ast.Ident); ok && (id.Name == "print" || id.Name == "println") {
				report(n, "library code uses the builtin "+id.Name)
			}
		}
		return true
	})
	return out
}
