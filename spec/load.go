package spec

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// LoadOptions are the caller's settings for Load and Parse.
type LoadOptions struct {
	// Args override and extend the spec's args (--arg NAME=VALUE).
	Args map[string]string
}

// Load reads, parses, defaults and validates the spec at path. Relative src
// paths are relative to the spec's directory, and sources that do not depend
// on TARGET* names are checked to exist. Every error it returns about the
// spec matches ErrInvalid; several problems come back together, joined and
// sorted by position.
func Load(path string, opts LoadOptions) (*Build, error) {
	data, err := readSpec(path)
	if err != nil {
		msg := "cannot read spec: " + err.Error()
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			msg = "cannot read spec: " + pe.Err.Error()
		}
		if in := filepath.Join(path, "build.yaml"); isRegular(in) {
			msg += "; did you mean " + in + "?" // -f DIR
		}
		return nil, &Error{File: path, Msg: msg, Err: err}
	}
	return Parse(data, path, filepath.Dir(path), opts)
}

// Parse is Load for a spec already in memory. file names it in errors; dir
// is the directory src paths are relative to. With an empty dir, sources
// are not checked and name has no default.
func Parse(data []byte, file, dir string, opts LoadOptions) (*Build, error) {
	e := &errs{file: file}
	b := &Build{File: file}
	if dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, &Error{File: file, Msg: "spec directory: " + err.Error(), Err: err}
		}
		b.Dir = abs
	}
	root := parseDocument(data, e)
	if root == nil {
		return nil, e.err()
	}
	d := newDecoder(e)
	d.decode("", root, reflect.ValueOf(b).Elem())
	if d.overflow != nil {
		return nil, d.overflow
	}
	b.notes = d.notes
	b.meta = &meta{refs: map[string]bool{}}
	b.meta.vars = mergeArgs(b, opts, e)
	(&substituter{b: b, errs: e, vars: b.meta.vars}).value("", reflect.ValueOf(b).Elem(), false)
	b.applyDefaults()
	b.validate(e)
	b.checkSources(e)
	if err := e.err(); err != nil {
		return nil, err
	}
	return b, nil
}

// parseDocument returns the root mapping of the single YAML document in
// data, or nil after reporting why there is none.
func parseDocument(data []byte, e *errs) *yaml.Node {
	if pos, msg, ok := checkText(data); !ok {
		e.add(pos, "", "%s", msg)
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			e.add(Pos{}, "", "empty document (want a mapping starting with apiVersion: %s)", APIVersion)
		} else {
			addSyntaxError(e, err, data)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		e.add(Pos{Line: next.Line, Column: next.Column}, "", "multiple YAML documents; a spec is one document")
		return nil
	case err != io.EOF:
		addSyntaxError(e, err, data)
		return nil
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		e.add(Pos{}, "", "empty document (want a mapping starting with apiVersion: %s)", APIVersion)
		return nil
	}
	return doc.Content[0]
}

var syntaxLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// addSyntaxError reports a YAML syntax error at its line and column
// (syntaxPosition), else at the line yaml.v3 gives.
func addSyntaxError(e *errs, err error, data []byte) {
	if pos, msg, ok := syntaxPosition(data); ok {
		e.add(pos, "", "%s", msg)
		return
	}
	msg := err.Error()
	if m := syntaxLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		e.add(Pos{Line: line}, "", "%s", m[2])
		return
	}
	e.add(Pos{}, "", "%s", trimYAML(msg))
}

// trimYAML drops the "yaml: " prefix of a yaml error.
func trimYAML(s string) string {
	if len(s) > 6 && s[:6] == "yaml: " {
		return s[6:]
	}
	return s
}

// isRegular reports whether path is a regular file (following symlinks).
func isRegular(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}
