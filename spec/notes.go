package spec

import "maps"

// fact is one fact about the value at a field path.
type fact uint8

const (
	// flagBad: the value failed to decode or expand and was reported;
	// validation skips it.
	flagBad fact = 1 << iota
	// flagDeferred: the value still holds ${TARGET*}; ForPlatform expands
	// it and validation waits for that.
	flagDeferred
	// flagKeyDeferred: the map key at this path still holds ${TARGET*}.
	flagKeyDeferred
	// flagInherited: applyDefaults filled the value in from a layer or
	// defaults value that is checked where it is written.
	flagInherited
)

// note is what the passes of Load learned about one field path.
type note struct {
	pos   Pos  // where the value is written
	at    bool // pos is known
	flags fact
}

// notes maps a field path (layers[1].files[0].dst) to its note: the one
// record of positions and facts that the decoder, substitution, defaults
// and validation share. A pass that renames a path (fold, a substituted map
// key) moves or copies whole notes, so no fact is left behind; a copy of a
// Build copies the map. A nil notes reads as empty.
type notes map[string]note

// setPos records where the value at path is written.
func (n notes) setPos(path string, p Pos) {
	e := n[path]
	e.pos, e.at = p, true
	n[path] = e
}

// pos returns where the value at path is written, if known.
func (n notes) pos(path string) (Pos, bool) {
	e, ok := n[path]
	return e.pos, ok && e.at
}

// set adds f to path's facts.
func (n notes) set(path string, f fact) {
	e := n[path]
	e.flags |= f
	n[path] = e
}

// clear removes f from path's facts.
func (n notes) clear(path string, f fact) {
	if e, ok := n[path]; ok {
		e.flags &^= f
		n[path] = e
	}
}

// has reports whether path has any of the facts in f.
func (n notes) has(path string, f fact) bool {
	return n[path].flags&f != 0
}

// move renames path from to path to, with everything known about it.
func (n notes) move(from, to string) {
	if e, ok := n[from]; ok {
		n[to] = e
		delete(n, from)
	}
}

// clone returns a copy of n.
func (n notes) clone() notes {
	if n == nil {
		return notes{}
	}
	return maps.Clone(n)
}
