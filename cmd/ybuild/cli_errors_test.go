package main

import (
	"archive/tar"
	"bytes"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestDuplicateThroughCopyHasPosition checks that a duplicate destination
// found only while walking two directory copies points at the spec entry
// (file:line:column and field path), like every other spec error.
func TestDuplicateThroughCopyHasPosition(t *testing.T) {
	file := cliSpecDir(t, map[string]string{
		"build.yaml":   "apiVersion: ybuild/v1\nbase: scratch\nlayers:\n  - files:\n      - {src: static, dst: /srv/www/}\n      - {src: web, dst: /srv/www/}\n",
		"static/a.txt": "a\n",
		"web/a.txt":    "other a\n",
	})
	r := cliRun("build", "-f", file, "--progress", "quiet", "--no-cache", "-o", "oci:"+t.TempDir()+"/out")
	want := "build.yaml:6:9: layers[0].files[1]: duplicate destination /srv/www/a.txt: files[0] "
	if r.code != exitUsage || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("exit %d, stderr %q; want exit 2 and one line with %q", r.code, r.stderr, want)
	}
}

// TestEntryErrorsHavePosition checks that bad input found only while a
// layer's sources are walked (an archive extract cannot read, a FIFO inside
// a copied tree) points at its spec entry, file:line:column and field path
// as the user wrote it, on one line; it was "linux/amd64: layers[0]: walk
// layer: files[0]: …" with no place in the spec.
func TestEntryErrorsHavePosition(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		fifo  string
		want  string
	}{
		{name: "extract", files: map[string]string{
			"build.yaml": "apiVersion: ybuild/v1\nbase: scratch\nfiles:\n  - {src: notes.txt, dst: /opt/, extract: true}\n",
			"notes.txt":  "not an archive\n",
		}, want: "build.yaml:4:5: files[0]: extract notes.txt: not a readable tar archive"},
		{name: "fifo in a tree", files: map[string]string{
			"build.yaml": "apiVersion: ybuild/v1\nbase: scratch\nlayers:\n  - name: a\n    files: [{content: x, dst: /x}]\n" +
				"  - name: b\n    files:\n      - {content: y, dst: /y}\n      - {src: tree, dst: /t/}\n",
			"tree/a.txt": "a\n",
		}, fifo: "tree/pipe", want: "build.yaml:9:9: layers[1].files[1]: src tree/pipe: a named pipe (FIFO)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := cliSpecDir(t, tc.files)
			if tc.fifo != "" {
				if err := syscall.Mkfifo(filepath.Join(filepath.Dir(file), tc.fifo), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r := cliRun("build", "-f", file, "--progress", "quiet", "--no-cache", "-o", "oci:"+t.TempDir()+"/out")
			if r.code != exitUsage || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want exit 2 and one line", r.code, r.stderr)
			}
			cliCheckStderr(t, r.stderr, "ybuild: "+filepath.Dir(file)+"/"+tc.want, "(linux/amd64)")
		})
	}
}

// TestTruncatedExtractExitsTwo checks that an extract archive cut short
// inside an entry (gzip or plain tar) is bad input, exit 2 with "not a
// readable tar archive", as the docs say; it exited 1 ("spool: unexpected
// EOF").
func TestTruncatedExtractExitsTwo(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 64<<10)
	whole := tarGz(t, "lib/big.txt", big)
	for name, data := range map[string][]byte{"gzip": whole[:len(whole)/2], "tar": e2eTar(t, "lib/big.txt", big)[:4096]} {
		file := cliSpecDir(t, map[string]string{
			"build.yaml":    "apiVersion: ybuild/v1\nbase: scratch\nfiles:\n  - {src: vendor.tar.gz, dst: /opt/, extract: true}\n",
			"vendor.tar.gz": string(data),
		})
		r := cliRun("build", "-f", file, "--progress", "quiet", "--no-cache", "-o", "oci:"+t.TempDir()+"/out")
		if r.code != exitUsage || !strings.Contains(r.stderr, "not a readable tar archive") {
			t.Errorf("%s cut short: exit %d, stderr %q; want exit 2, not a readable tar archive", name, r.code, r.stderr)
		}
	}
}

// e2eTar returns a plain tar holding one file.
func e2eTar(t *testing.T, name, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
