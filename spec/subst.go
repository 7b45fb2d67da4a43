package spec

import (
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// meta is what Load learned about a Build as a whole (per-path facts are
// in Build.notes).
type meta struct {
	vars   map[string]string // args merged with LoadOptions.Args
	folded string            // "layers[N]" that top-level files: became, or ""
	refs   map[string]bool   // the names of vars the spec refers to (set by Load only)
}

// CloseRef returns the name the spec refers to that is closest to name (a
// likely meaning of a mistyped --arg), or "".
func (b *Build) CloseRef(name string) string {
	if b.meta == nil {
		return ""
	}
	return closest(name, slices.Sorted(maps.Keys(b.meta.refs)))
}

// Refers reports whether the spec refers to ${name} anywhere, so that the
// caller can tell an --arg that changes nothing (a typo of a name, say).
// TARGET* names are not counted.
func (b *Build) Refers(name string) bool {
	return b.meta != nil && b.meta.refs[name]
}

// substituter expands ${NAME} in every string of a Build.
type substituter struct {
	b      *Build
	errs   *errs
	vars   map[string]string
	target bool // the ForPlatform pass: expand deferred paths only
	all    bool // with target: expand every path (a Build not from Load)
	used   int  // bytes of expanded strings so far, at most MaxExpanded
	full   bool // MaxExpanded was reached (and reported): expand no more
}

// mergeArgs returns the spec's args overridden and extended by opts,
// reporting names that are malformed or reserved.
func mergeArgs(b *Build, opts LoadOptions, e *errs) map[string]string {
	vars := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(b.Args)) {
		if checkArgName(k) != "" {
			pos, _ := b.notes.pos(keyPath("args", k))
			e.add(pos, keyPath("args", k), "%s", checkArgName(k))
		}
		vars[k] = b.Args[k]
	}
	for _, k := range slices.Sorted(maps.Keys(opts.Args)) {
		if msg := checkArgName(k); msg != "" {
			e.add(Pos{}, "", "--arg %s: %s", k, msg)
		}
		vars[k] = opts.Args[k]
	}
	return vars
}

// checkArgName says what is wrong with an argument name, or "".
func checkArgName(k string) string {
	switch {
	case !nameRE.MatchString(k):
		return "invalid name (want letters, digits and _, not starting with a digit)"
	case isTarget(k):
		return "reserved name: " + k + " is set by the platform being built"
	}
	return ""
}

// knownNames lists the names a spec may refer to.
func knownNames(vars map[string]string) string {
	names := slices.Collect(maps.Keys(vars))
	names = append(names, TargetOS, TargetArch, TargetVariant, TargetPlatform)
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// value expands the strings in v, found at path.
func (s *substituter) value(path string, v reflect.Value, lenient bool) {
	if v.Type() == nullableMapType {
		s.nullableMap(path, v, path == "config.env")
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			s.value(path, v.Elem(), lenient)
		}
	case reflect.Struct:
		ft := fieldsOf(v.Type())
		for _, name := range ft.names {
			if path == "" && name == "args" {
				continue // args are taken literally
			}
			s.value(joinPath(path, name), v.FieldByIndex(ft.byName[name]), false)
		}
	case reflect.String:
		v.SetString(s.text(path, v.String(), lenient))
	case reflect.Slice:
		for i := range v.Len() {
			s.value(indexPath(path, i), v.Index(i), lenient)
		}
	case reflect.Map:
		s.stringMap(path, v)
	}
}

// stringMap expands the keys and values of a map[string]string.
func (s *substituter) stringMap(path string, v reflect.Value) {
	m := v.Interface().(map[string]string)
	out := make(map[string]string, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		nk := s.key(path, k)
		if _, dup := out[nk]; dup {
			pos, _ := s.b.notes.pos(keyPath(path, nk))
			s.errs.add(pos, keyPath(path, nk), "duplicate key %q after substitution", nk)
		}
		out[nk] = s.text(keyPath(path, nk), m[k], false)
	}
	v.Set(reflect.ValueOf(out))
}

// nullableMap expands the keys and values of a NullableMap in place.
func (s *substituter) nullableMap(path string, v reflect.Value, lenient bool) {
	m := v.Interface().(NullableMap)
	for i := range m {
		m[i].Key = s.key(path, m[i].Key)
		if m[i].Value != nil {
			val := s.text(keyPath(path, m[i].Key), *m[i].Value, lenient)
			m[i].Value = &val
		}
	}
}

// key expands a map key at path and moves what is known about its value
// to the new key's path.
func (s *substituter) key(path, k string) string {
	old := keyPath(path, k)
	nk := s.expandAt(old, flagKeyDeferred, k, false)
	if nk != k {
		s.b.notes.move(old, keyPath(path, nk))
	}
	return nk
}

// text expands one string found at path.
func (s *substituter) text(path, in string, lenient bool) string {
	return s.expandAt(path, flagDeferred, in, lenient)
}

// expandAt expands in, the value (or, with flagKeyDeferred, the map key) at
// path; deferred is the flag that says it still holds ${TARGET*}.
func (s *substituter) expandAt(path string, deferred fact, in string, lenient bool) string {
	n := s.b.notes
	if s.target {
		if !n.has(path, deferred) && !s.all {
			return in
		}
		n.clear(path, deferred)
	}
	if s.full {
		return in
	}
	r := expansion{vars: s.vars, lenient: lenient, deferTarget: !s.target, limit: MaxExpanded - s.used}.expand(in)
	pos, _ := n.pos(path)
	if r.tooLong {
		s.full = true
		n.set(path, flagBad)
		s.errs.add(pos, path, "${NAME} substitution makes the spec's strings longer than %d bytes in all", MaxExpanded)
		return in
	}
	s.used += len(r.out)
	if !s.target {
		for _, name := range r.refs {
			s.b.meta.refs[name] = true
		}
	}
	for _, p := range r.problems {
		n.set(path, flagBad)
		if strings.HasPrefix(p, "unknown name") {
			p += "; known names: " + knownNames(s.vars)
		}
		s.errs.add(pos, path, "%s", p)
	}
	if r.deferred {
		n.set(path, deferred)
	}
	return r.out
}

// indexPath appends a list index to a path.
func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}
