package assemble

import (
	"errors"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestOpenBeneathNoSymlinkComponent: on Linux a walked file is reopened
// with no symlink in any component, even one that stays inside the spec
// directory (os.Root alone would follow it).
func TestOpenBeneathNoSymlinkComponent(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"real/f": "data", "link": "->real"})
	sd, err := openSpecDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer sd.close()
	if f, err := sd.root.Open("link/f"); err != nil {
		t.Fatalf("os.Root follows an inside symlink, the premise: %v", err)
	} else {
		f.Close()
	}
	f, err := openBeneath(sd.dir, sd.root, "link/f")
	if err == nil {
		f.Close()
		t.Fatal("openBeneath went through the symlink link")
	}
	if !errors.Is(err, unix.ELOOP) {
		t.Fatalf("err = %v, want ELOOP", err)
	}
	for _, rel := range []string{"real/f", filepath.Join("real", ".", "f")} {
		f, err := openBeneath(sd.dir, sd.root, rel)
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		f.Close()
	}
	if _, err := openBeneath(sd.dir, sd.root, "../"+filepath.Base(dir)+"/real/f"); err == nil {
		t.Fatal("openBeneath left the directory")
	}
}
