package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ybuild/ybuild/internal/testbase"
)

// stackSpec builds on scratch: layer 1 holds busybox, /tmp 1777 and
// /home/app 1000:1000 0700; layer 2 adds files below both, so its implicit
// ancestors tmp/ and home/app/ must keep layer 1's attributes. The
// container runs as user 1000 and writes to /tmp and /home/app.
const stackSpec = `apiVersion: ybuild/v1
name: stack
base: scratch
created: 2024-01-01T00:00:00Z
layers:
  - name: base
    files:
      - {src: busybox, dst: /bin/busybox, mode: "0755"}
      - {dst: /tmp, dir: true, mode: "1777"}
      - {dst: /home/app, dir: true, owner: "1000:1000", mode: "0700"}
  - name: later
    files:
      - {dst: /tmp/foo, content: "foo\n"}
      - {dst: /home/app/config, content: "config\n", owner: "1000:1000"}
config:
  user: "1000"
  entrypoint: ["/bin/busybox", "sh", "-c", "echo mine > /tmp/mine && cat /tmp/mine && echo home > /home/app/h && cat /home/app/h"]
`

// TestE2EScratchStackKeepsLowerDirs is the regression test of issue 9 item
// 15: a later layer on scratch does not reset the directories an earlier
// layer made. It checks the unpacked root filesystem and runs the image
// with runc as user 1000.
func TestE2EScratchStackKeepsLowerDirs(t *testing.T) {
	busybox := testbase.Busybox(t)
	dir := t.TempDir()
	e2eWriteFiles(t, dir, map[string]string{"build.yaml": stackSpec})
	data, err := os.ReadFile(busybox)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "layout")
	r := procRun(t, dir, "-f", "build.yaml", "--no-cache", "--progress", "quiet", "-o", "oci:"+out+":stack")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	res := e2eResults(t, r.stdout)
	m := e2eManifest(t, out, res["oci:"+out+":stack"])
	if len(m.Layers) != 2 {
		t.Fatalf("%d layers, want 2", len(m.Layers))
	}
	bundle := e2eUnpack(t, out, "stack")
	root := filepath.Join(bundle, "rootfs")
	e2eCheckFile(t, root, "tmp", fs.ModeDir|fs.ModeSticky|0o777, 0, 0, time.Time{})
	e2eCheckFile(t, root, "home/app", fs.ModeDir|0o700, 1000, 1000, time.Time{})
	e2eCheckFile(t, root, "home", fs.ModeDir|0o755, 0, 0, time.Time{})
	if got := e2eRunc(t, bundle); strings.TrimSpace(got) != "mine\nhome" {
		t.Errorf("runc as user 1000 printed %q, want \"mine\\nhome\"", got)
	}
}
