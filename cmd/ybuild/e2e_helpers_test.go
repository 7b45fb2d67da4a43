package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/internal/e2e"
	"github.com/ybuild/ybuild/internal/tartest"
)

// e2eBuild runs ybuild with args through run() and returns stdout; any exit
// code other than 0 fails the test with stderr.
func e2eBuild(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	full := append([]string{"build", "--progress", "quiet"}, args...)
	if code := run(context.Background(), full, &stdout, &stderr); code != exitOK {
		t.Fatalf("ybuild %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(full, " "), code, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// e2eResults parses ybuild's stdout: "DEST DIGEST" lines map DEST to DIGEST,
// push lines "REF@DIGEST" map "docker://REF" to DIGEST.
func e2eResults(t *testing.T, stdout string) map[string]digest.Digest {
	t.Helper()
	out := map[string]digest.Digest{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if dest, d, ok := strings.Cut(line, " "); ok {
			out[dest] = e2eParseDigest(t, d, line)
			continue
		}
		ref, d, ok := strings.Cut(line, "@")
		if !ok {
			t.Fatalf("stdout line %q: neither DEST DIGEST nor REF@DIGEST", line)
		}
		out["docker://"+ref] = e2eParseDigest(t, d, line)
	}
	return out
}

// e2eParseDigest parses a digest printed on stdout.
func e2eParseDigest(t *testing.T, s, line string) digest.Digest {
	t.Helper()
	d, err := digest.Parse(s)
	if err != nil {
		t.Fatalf("stdout line %q: %v", line, err)
	}
	return d
}

// e2eWriteFiles writes files (slash paths relative to dir) with mode 0644.
func e2eWriteFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// e2eTarEntry is one entry of a tar.gz made by e2eTarGz.
type e2eTarEntry struct {
	name, body, link string
	typ              byte
	mode             int64
}

// e2eTarGz writes entries as a gzipped tar at path, all with mtime mt.
func e2eTarGz(t *testing.T, path string, mt time.Time, entries []e2eTarEntry) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Linkname: e.link,
			Size: int64(len(e.body)), ModTime: mt, Uid: 4242, Gid: 4242, Uname: "someone"}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// e2eID returns a unique lowercase name for containers and images.
func e2eID() string {
	return "ybuild-e2e-" + strings.ToLower(rand.Text()[:12])
}

// e2eUnpack runs `umoci unpack --image DIR:REF` (as root owners are kept)
// and returns the bundle directory; its rootfs is bundle/rootfs.
//
// umoci runs under umask 022 whatever the test runner's: it makes the
// rootfs directory itself (an image has no entry for /) with 0755 minus
// the umask, and under umask 077 or 027 the images' user 1000 could not
// even reach /bin/busybox ("stat /bin/busybox: permission denied").
func e2eUnpack(t *testing.T, layoutDir, ref string) string {
	t.Helper()
	umoci := e2e.Require(t, "umoci")
	if os.Geteuid() != 0 {
		t.Skip("e2e: umoci unpack keeps owners only as root; run the tests as root")
	}
	bundle := filepath.Join(t.TempDir(), "bundle")
	e2e.Run(t, "sh", "-c", `umask 022 && exec "$0" "$@"`, umoci, "unpack", "--image", layoutDir+":"+ref, bundle)
	return bundle
}

// e2eRunc runs the bundle's process with runc (terminal off, a unique
// container ID deleted afterwards) and returns its stdout.
func e2eRunc(t *testing.T, bundle string) string {
	t.Helper()
	runc := e2e.Require(t, "runc")
	cfgPath := filepath.Join(bundle, "config.json")
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatalf("%s: %v", cfgPath, err)
	}
	proc, ok := cfg["process"].(map[string]any)
	if !ok {
		t.Fatalf("%s: no process", cfgPath)
	}
	proc["terminal"] = false
	if data, err = json.Marshal(cfg); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	id := e2eID()
	t.Cleanup(func() { _ = exec.Command(runc, "delete", "--force", id).Run() }) // t.Context() is done by now
	return e2e.Run(t, runc, "run", "--bundle", bundle, id)
}

// e2eStat returns the Lstat of root/name and its uid and gid.
func e2eStat(t *testing.T, root, name string) (fs.FileInfo, uint32, uint32) {
	t.Helper()
	fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(name)))
	if err != nil {
		t.Fatalf("image %s: %v", name, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		t.Fatalf("image %s: no stat_t", name)
	}
	return fi, st.Uid, st.Gid
}

// e2eCheckFile checks mode (permission and special bits, plus type), owner
// and, unless mtime is zero, the mtime of root/name.
func e2eCheckFile(t *testing.T, root, name string, mode fs.FileMode, uid, gid uint32, mtime time.Time) {
	t.Helper()
	fi, u, g := e2eStat(t, root, name)
	if got := fi.Mode() & (fs.ModeType | fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky); got != mode {
		t.Errorf("image %s: mode %v, want %v", name, got, mode)
	}
	if u != uid || g != gid {
		t.Errorf("image %s: owner %d:%d, want %d:%d", name, u, g, uid, gid)
	}
	if !mtime.IsZero() && !fi.ModTime().Equal(mtime) {
		t.Errorf("image %s: mtime %s, want %s", name, fi.ModTime().UTC(), mtime)
	}
}

// e2eReadFile returns the content of root/name.
func e2eReadFile(t *testing.T, root, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
	if err != nil {
		t.Fatalf("image %s: %v", name, err)
	}
	return string(data)
}

// e2eBlob reads a blob of an OCI layout and checks its digest.
func e2eBlob(t *testing.T, layoutDir string, d digest.Digest) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(layoutDir, "blobs", d.Algorithm().String(), d.Encoded()))
	if err != nil {
		t.Fatal(err)
	}
	if digest.FromBytes(data) != d {
		t.Fatalf("layout blob %s: content does not match its digest", d)
	}
	return data
}

// e2eJSON unmarshals data into v, failing the test with what (a label).
func e2eJSON(t *testing.T, what string, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, data)
	}
}

// e2eManifest reads the manifest d from an OCI layout.
func e2eManifest(t *testing.T, layoutDir string, d digest.Digest) ocispec.Manifest {
	t.Helper()
	var m ocispec.Manifest
	e2eJSON(t, "manifest "+d.String(), e2eBlob(t, layoutDir, d), &m)
	return m
}

// e2eLayerFiles returns the regular files (name → content) of a gzipped
// layer blob of an OCI layout.
func e2eLayerFiles(t *testing.T, layoutDir string, d digest.Digest) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, data := range tartest.Files(tartest.ReadGzip(t, e2eBlob(t, layoutDir, d), "layer "+d.String())) {
		out[name] = string(data)
	}
	return out
}
