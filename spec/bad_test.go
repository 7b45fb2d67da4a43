package spec

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/platforms"
)

var update = flag.Bool("update", false, "rewrite testdata/bad/*.err from the current messages")

// TestBadSpecs loads every testdata/bad/<case>.yaml and compares the error
// with <case>.err. A first line "# platform: os/arch" also runs
// ForPlatform. The spec directory's absolute path reads as DIR.
func TestBadSpecs(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 30 {
		t.Fatalf("only %d bad cases", len(files))
	}
	dir, err := filepath.Abs("testdata/bad")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			err := loadBad(t, f)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not match ErrInvalid: %v", err)
			}
			got := strings.ReplaceAll(err.Error(), dir, "DIR") + "\n"
			golden := strings.TrimSuffix(f, ".yaml") + ".err"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// loadBad loads a bad case, then runs ForPlatform when it asks for it.
func loadBad(t *testing.T, f string) error {
	b, err := Load(f, LoadOptions{})
	if err != nil {
		return err
	}
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	spec, ok := strings.CutPrefix(first, "# platform: ")
	if !ok {
		return nil
	}
	_, err = b.ForPlatform(platforms.MustParse(spec))
	return err
}
