package importrules

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Package is the part of a `go list -json` record the checks read.
type Package struct {
	// ImportPath is the package's import path.
	ImportPath string
	// Dir is the directory of its sources.
	Dir string
	// GoFiles are its non-test Go files, relative to Dir.
	GoFiles []string
	// Imports are its direct imports (non-test files only).
	Imports []string
	// Deps are all its dependencies, direct or not.
	Deps []string
}

// rel returns p relative to Module, or false for other modules and std.
func rel(p string) (string, bool) {
	if p == Module {
		return "", true
	}
	r, ok := strings.CutPrefix(p, Module+"/")
	return r, ok
}

// CheckImports checks the module's packages among pkgs against rules and
// returns one line per broken rule, sorted.
func CheckImports(pkgs []Package, rules map[string]Rule) []string {
	var out []string
	for _, p := range pkgs {
		name, ok := rel(p.ImportPath)
		if !ok {
			continue
		}
		r, ok := rules[name]
		if !ok {
			out = append(out, fmt.Sprintf("%s: not in the rules table: add it to internal/importrules/rules.go and DEVELOPERS.md", name))
			continue
		}
		out = append(out, checkPackage(name, p, r)...)
	}
	sort.Strings(out)
	return out
}

// checkPackage checks one package against its rule.
func checkPackage(name string, p Package, r Rule) []string {
	var out []string
	for _, imp := range p.Imports {
		dep, mine := rel(imp)
		switch {
		case mine && slices.Contains(helpers, dep) && !slices.Contains(helpers, name):
			out = append(out, fmt.Sprintf("%s imports the test helper %s outside its tests", name, dep))
		case mine && !r.Any && !slices.Contains(r.Imports, dep):
			out = append(out, fmt.Sprintf("%s may not import %s (allowed: %s)", name, dep, allowed(r)))
		case slices.Contains(r.DenyImports, imp):
			out = append(out, fmt.Sprintf("%s may not import %s", name, imp))
		}
	}
	for _, d := range p.Deps {
		if slices.Contains(r.DenyDeps, d) {
			out = append(out, fmt.Sprintf("%s may not depend on %s (it has no network code), even indirectly", name, d))
		}
	}
	return out
}

// allowed names the module packages r allows.
func allowed(r Rule) string {
	if len(r.Imports) == 0 {
		return "none"
	}
	return strings.Join(r.Imports, ", ")
}
