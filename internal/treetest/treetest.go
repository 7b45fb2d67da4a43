// Package treetest snapshots directory trees in tests, to check that a
// failed or interrupted operation left every file byte for byte as it was.
package treetest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// maxHashed is the largest file whose content Snapshot hashes.
const maxHashed = 64 << 20

// Snapshot maps every path under dir (relative, slash-separated) to its
// type and mode and, for regular files, the sha256 of its content.
func Snapshot(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		val := fi.Mode().String()
		if fi.Mode().IsRegular() && fi.Size() > maxHashed {
			// A huge (sparse) file: its size and mtime stand for its content.
			val += fmt.Sprintf(" %d bytes, modified %d", fi.Size(), fi.ModTime().UnixNano())
		} else if fi.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			val += " " + hex.EncodeToString(sum[:])
		}
		out[filepath.ToSlash(rel)] = val
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Same reports every difference between two snapshots: paths that
// appeared, changed or disappeared.
func Same(t testing.TB, what string, before, after map[string]string) {
	t.Helper()
	for p, v := range after {
		if w, ok := before[p]; !ok {
			t.Errorf("%s: %s appeared (%s)", what, p, v)
		} else if w != v {
			t.Errorf("%s: %s changed: %s, was %s", what, p, v, w)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			t.Errorf("%s: %s disappeared", what, p)
		}
	}
}
