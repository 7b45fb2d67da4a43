package main

import (
	"io"
	"os"
	"sync"

	"golang.org/x/term"
)

// syncWriter serialises the writes to the stderr of one build call: the
// specs runMany builds at once, the progress reporter and the shared
// cache's background work all write warnings to it. One Write at a time
// keeps each line whole and makes a writer that is not safe for
// concurrent use (the bytes.Buffer a caller of run passes) safe.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// Write writes p to the underlying writer, alone.
func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// isTerminal reports whether w, or the writer a syncWriter guards, is a
// terminal.
func isTerminal(w io.Writer) bool {
	if s, ok := w.(*syncWriter); ok {
		w = s.w
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
