package main

import (
	"path/filepath"
	"sync"
)

// pathLocks serialises the writes of one call's specs to the same local
// output: two specs writing into one OCI layout would both read its
// index.json, and the last rename would drop the other's image.
type pathLocks struct {
	mu sync.Mutex
	m  map[string]*sync.Mutex
}

// lock waits until no other spec writes path and returns the unlock; a
// registry output ("") is not locked.
func (p *pathLocks) lock(path string) func() {
	if path == "" {
		return func() {}
	}
	path = filepath.Clean(path)
	p.mu.Lock()
	if p.m == nil {
		p.m = map[string]*sync.Mutex{}
	}
	l := p.m[path]
	if l == nil {
		l = &sync.Mutex{}
		p.m[path] = l
	}
	p.mu.Unlock()
	l.Lock()
	return l.Unlock
}
