package main

import (
	"archive/tar"
	"bytes"
	"strings"
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
