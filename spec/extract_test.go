package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1": 1, "512B": 512, "4KiB": 4096, "3MiB": 3 << 20, "8GiB": 8 << 30, "2TiB": 2 << 40} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1", "1.5GiB", "8GB", "GiB", " 1", "99999999999TiB", "0x10"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}

func TestExtractOptions(t *testing.T) {
	yaml := `apiVersion: ybuild/v1
base: scratch
files:
  - {src: a.tar, dst: /a/, extract: true, limits: {maxSize: 1MiB, maxEntries: 10}, allowDevices: true}
  - {src: a.tar, dst: /b/, extract: true}
`
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.tar"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := Parse([]byte(yaml), "build.yaml", dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := b.Layers[0].Files[0]
	if size, n := f.ExtractMax(); size != 1<<20 || n != 10 || !f.AllowDevices {
		t.Fatalf("limits %d %d, allowDevices %v", size, n, f.AllowDevices)
	}
	if size, n := b.Layers[0].Files[1].ExtractMax(); size != DefaultExtractMaxSize || n != DefaultExtractMaxEntries {
		t.Fatalf("default limits %d %d", size, n)
	}
	bad := `apiVersion: ybuild/v1
base: scratch
files:
  - {content: x, dst: /a, limits: {maxSize: 1MiB}, allowDevices: true}
  - {src: x.tar, dst: /b/, extract: true, limits: {maxSize: lots, maxEntries: "-3", other: 1}}
`
	_, err = Parse([]byte(bad), "build.yaml", t.TempDir(), LoadOptions{})
	for _, want := range []string{
		"build.yaml:4:",
		"files[0].limits: only applies to extract",
		"files[0].allowDevices: only applies to extract",
		`files[1].limits.maxSize: must be a positive size like "512MiB" or "8GiB", got "lots"`,
		`files[1].limits.maxEntries: must be a positive whole number, got "-3"`,
		`unknown field "other"`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v\nwant it to contain %q", err, want)
		}
	}
}
