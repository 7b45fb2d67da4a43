package main

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestSyncWriterConcurrent: the stderr the specs of one call share takes
// lines from several goroutines at once, and each arrives whole. Two specs
// of one call warning about their archive wrote to the caller's
// bytes.Buffer at once: a data race (TestManySpecsSameArchive failed
// under -race), and lines lost or mixed.
func TestSyncWriterConcurrent(t *testing.T) {
	var buf bytes.Buffer
	w := &syncWriter{w: &buf}
	const goroutines, lines = 8, 200
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range lines {
				fmt.Fprintf(w, "ybuild: spec %d: warning %d of the same length\n", g, i%10)
			}
		}()
	}
	wg.Wait()
	got := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(got) != goroutines*lines {
		t.Fatalf("%d lines, want %d", len(got), goroutines*lines)
	}
	for _, l := range got {
		var g, i int
		if n, err := fmt.Sscanf(l, "ybuild: spec %d: warning %d of the same length", &g, &i); n != 2 || err != nil {
			t.Fatalf("mixed line %q", l)
		}
	}
}
