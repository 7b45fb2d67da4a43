package main

import (
	"fmt"
	"io"
	"sync"

	"github.com/schollz/progressbar/v3"

	"github.com/ybuild/ybuild/imagediff"
	"github.com/ybuild/ybuild/resolve"
)

// newProgress returns the progress reporter for mode: bars on a terminal
// (auto), one line per finished step (plain, or auto off a terminal), or
// nothing (quiet).
func newProgress(mode string, w io.Writer) (resolve.Progress, error) {
	switch mode {
	case "quiet":
		return nil, nil
	case "plain":
		return plainProgress(w), nil
	case "auto":
		if isTerminal(w) {
			return barProgress(w), nil
		}
		return plainProgress(w), nil
	}
	return nil, usageError{fmt.Errorf("--progress %q: expected auto, plain or quiet", mode)}
}

// plainProgress prints one line when each step succeeds, with the size of
// the blob it moved or wrote.
func plainProgress(w io.Writer) resolve.Progress {
	var mu sync.Mutex
	return func(name string, total int64) (func(int64), func(int64)) {
		add := func(int64) {}
		done := func(size int64) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(w, "%s: done, %s\n", name, humanBytes(size))
		}
		return add, done
	}
}

// barProgress draws a byte progress bar per step.
func barProgress(w io.Writer) resolve.Progress {
	var mu sync.Mutex
	return func(name string, total int64) (func(int64), func(int64)) {
		bar := progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(name),
			progressbar.OptionShowBytes(true),
			progressbar.OptionSetWidth(24),
			progressbar.OptionThrottle(100_000_000),
			progressbar.OptionClearOnFinish(),
		)
		add := func(d int64) { mu.Lock(); _ = bar.Add64(d); mu.Unlock() }
		done := func(size int64) {
			mu.Lock()
			defer mu.Unlock()
			_ = bar.Finish()
			fmt.Fprintf(w, "%s: done, %s\n", name, humanBytes(size))
		}
		return add, done
	}
}

// humanBytes formats n bytes for people ("12.3 KiB"), as diff does.
func humanBytes(n int64) string { return imagediff.HumanBytes(n) }
