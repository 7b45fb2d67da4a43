package spec

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ybuild/ybuild/internal/inputerr"
)

// ErrInvalid is matched (errors.Is) by every error about the spec itself:
// YAML syntax, unknown fields, wrong types, failed validation and missing
// sources.
var ErrInvalid = inputerr.New("invalid build spec")

// Error is one problem in a spec file, with its place and its field path.
// Error() reads like "build.yaml:12:9: layers[1].files[0].dst: must be an
// absolute path, got \"app\"". A zero Pos or an empty Path is left out.
type Error struct {
	// File is the spec file as given to Load (or Parse).
	File string
	// Pos is the line and column of the offending value; Column is 0 when
	// only the line is known (YAML syntax errors).
	Pos Pos
	// Path is the field path, e.g. layers[1].files[0].dst.
	Path string
	// Msg says what is wrong.
	Msg string
	// Err is the underlying cause, if any (e.g. fs.ErrNotExist for a
	// missing source).
	Err error
}

// Error formats the error as file:line:column: path: message.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	if e.Pos.Line > 0 {
		fmt.Fprintf(&b, "%d:", e.Pos.Line)
		if e.Pos.Column > 0 {
			fmt.Fprintf(&b, "%d:", e.Pos.Column)
		}
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// FieldError returns err as an *Error at the field path (such as
// "layers[0].files[6]"): the spec's file, the path's line and column (or
// its closest ancestor's), and the path as the user wrote it. Problems
// found while building, after Load, use it to point into the spec.
func (b *Build) FieldError(path string, err error) *Error {
	pos, _ := b.Position(path)
	return &Error{File: b.File, Pos: pos, Path: b.shownPath(path), Msg: err.Error(), Err: err}
}

// Is reports whether target is ErrInvalid (or the class it belongs to,
// inputerr.ErrInput).
func (e *Error) Is(target error) bool { return target == ErrInvalid || target == inputerr.ErrInput }

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// errs collects the problems of one spec.
type errs struct {
	file string
	list []*Error
}

// add records a problem at pos.
func (l *errs) add(pos Pos, path, format string, args ...any) {
	l.list = append(l.list, &Error{File: l.file, Pos: pos, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// err returns the problems sorted by position, joined, or nil.
func (l *errs) err() error {
	if len(l.list) == 0 {
		return nil
	}
	slices.SortStableFunc(l.list, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Column, b.Pos.Column),
			cmp.Compare(a.Path, b.Path), cmp.Compare(a.Msg, b.Msg))
	})
	l.list = slices.CompactFunc(l.list, func(a, b *Error) bool { return *a == *b })
	out := make([]error, len(l.list))
	for i, e := range l.list {
		out[i] = e
	}
	return errors.Join(out...)
}
