package spec

import (
	"maps"
	"reflect"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ForPlatform returns a deep copy of b with ${TARGETOS}, ${TARGETARCH},
// ${TARGETVARIANT} and ${TARGETPLATFORM} (os/arch[/variant]) substituted
// for p, then validated again, with sources checked. b is not changed.
// On a Build that Load did not make, every string is expanded with the
// TARGET* names only.
func (b *Build) ForPlatform(p ocispec.Platform) (*Build, error) {
	c := b.clone()
	e := &errs{file: b.File}
	vars := map[string]string{
		TargetOS:       p.OS,
		TargetArch:     p.Architecture,
		TargetVariant:  p.Variant,
		TargetPlatform: platformString(p),
	}
	all := c.meta == nil
	if all {
		c.meta = &meta{vars: map[string]string{}}
	}
	(&substituter{b: c, errs: e, vars: vars, target: true, all: all}).value("", reflect.ValueOf(c).Elem(), false)
	c.applyDefaults()
	c.validate(e)
	c.checkSources(e)
	if err := e.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// platformString formats os/arch[/variant].
func platformString(p ocispec.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// clone returns a deep copy of b, with its notes and meta.
func (b *Build) clone() *Build {
	c := deepCopy(reflect.ValueOf(b).Elem()).Addr().Interface().(*Build)
	c.notes = b.notes.clone()
	if b.meta != nil {
		m := *b.meta
		m.vars = maps.Clone(m.vars)
		c.meta = &m
	}
	return c
}

// deepCopy returns an addressable deep copy of v's exported data.
func deepCopy(v reflect.Value) reflect.Value {
	n := reflect.New(v.Type()).Elem()
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			n.Set(deepCopy(v.Elem()).Addr())
		}
	case reflect.Struct:
		n.Set(v)
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				n.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
	case reflect.Slice:
		if !v.IsNil() {
			n.Set(reflect.MakeSlice(v.Type(), v.Len(), v.Len()))
			for i := range v.Len() {
				n.Index(i).Set(deepCopy(v.Index(i)))
			}
		}
	case reflect.Map:
		if !v.IsNil() {
			n.Set(reflect.MakeMapWithSize(v.Type(), v.Len()))
			for it := v.MapRange(); it.Next(); {
				n.SetMapIndex(it.Key(), deepCopy(it.Value()))
			}
		}
	default:
		n.Set(v)
	}
	return n
}

// Position returns the line and column of the value at a field path such
// as "layers[1].files[0].dst" or "config.env.PATH". Attributes filled in
// from layer or defaults point where they were written; for a path with no
// recorded place, it falls back to the closest recorded ancestor. ok is
// false only when nothing is known (a Build not made by Load).
func (b *Build) Position(path string) (pos Pos, ok bool) {
	for {
		if pos, ok = b.notes.pos(path); ok || path == "" {
			return pos, ok
		}
		path = parentPath(path)
	}
}

// parentPath drops the last element of a field path.
func parentPath(p string) string {
	if strings.HasSuffix(p, `"]`) {
		if i := strings.LastIndex(p, `["`); i >= 0 {
			return p[:i]
		}
	}
	i := max(strings.LastIndexByte(p, '.'), strings.LastIndexByte(p, '['))
	if i < 0 {
		return ""
	}
	return p[:i]
}
