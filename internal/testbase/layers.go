package testbase

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

// Mtime is the modification time of every entry in the base layers, and the
// base config's created time.
var Mtime = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// Applets are the busybox applets linked in /bin by the first layer.
var Applets = []string{
	"cat", "echo", "env", "false", "head", "id", "ls", "mkdir", "printf",
	"pwd", "readlink", "sh", "sleep", "stat", "test", "true", "wc",
}

// Passwd is the content of /etc/passwd in the base.
const Passwd = "root:x:0:0:root:/root:/bin/sh\n" +
	"www-data:x:33:33:www-data:/var/www:/bin/false\n" +
	"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"

// Group is the content of /etc/group in the base.
const Group = "root:x:0:\nwww-data:x:33:\nnogroup:x:65534:\n"

// Motd is the content of /etc/motd in the base.
const Motd = "ybuild test base\n"

// layer is one base layer, uncompressed and gzipped.
type layer struct {
	tar, gz []byte
	diffID  digest.Digest
}

var (
	layersOnce sync.Once
	layersVal  [2]layer
	layersErr  error
)

// baseLayers returns the two base layers, built once per process.
func baseLayers(t testing.TB) [2]layer {
	t.Helper()
	bin := Busybox(t)
	layersOnce.Do(func() { layersVal, layersErr = buildLayers(bin) })
	if layersErr != nil {
		t.Fatalf("testbase: build layers: %v", layersErr)
	}
	return layersVal
}

// buildLayers writes layer 1 (busybox and its applet links) and layer 2
// (/etc files, /tmp, /usr/share/doc, /var/www).
func buildLayers(bin string) ([2]layer, error) {
	data, err := os.ReadFile(bin)
	if err != nil {
		return [2]layer{}, err
	}
	l1 := []entry{dir("bin/", 0o755, 0), file("bin/busybox", 0o755, 0, data)}
	for _, a := range Applets {
		l1 = append(l1, symlink("bin/"+a, "busybox"))
	}
	l2 := []entry{
		dir("etc/", 0o755, 0),
		file("etc/group", 0o644, 0, []byte(Group)),
		file("etc/motd", 0o644, 0, []byte(Motd)),
		file("etc/passwd", 0o644, 0, []byte(Passwd)),
		dir("tmp/", 0o1777, 0),
		dir("usr/", 0o755, 0),
		dir("usr/share/", 0o755, 0),
		dir("usr/share/doc/", 0o755, 0),
		dir("usr/share/doc/base/", 0o755, 0),
		file("usr/share/doc/base/COPYING", 0o644, 0, []byte("GPL-2.0\n")),
		file("usr/share/doc/base/README", 0o644, 0, []byte("busybox test base\n")),
		dir("var/", 0o755, 0),
		dir("var/www/", 0o755, 33),
	}
	var out [2]layer
	for i, entries := range [][]entry{l1, l2} {
		if out[i], err = writeLayer(entries); err != nil {
			return out, err
		}
	}
	return out, nil
}

// entry is one tar entry of a base layer.
type entry struct {
	hdr  tar.Header
	data []byte
}

func dir(name string, mode int64, owner int) entry {
	return entry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, Uid: owner, Gid: owner}}
}

func file(name string, mode int64, owner int, data []byte) entry {
	return entry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Uid: owner, Gid: owner, Size: int64(len(data))}, data: data}
}

func symlink(name, target string) entry {
	return entry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777}}
}

// writeLayer writes entries as a PAX tar and gzips it with a zero header.
func writeLayer(entries []entry) (layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := e.hdr
		h.ModTime = Mtime
		h.Format = tar.FormatPAX
		if err := tw.WriteHeader(&h); err != nil {
			return layer{}, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return layer{}, err
		}
	}
	if err := tw.Close(); err != nil {
		return layer{}, err
	}
	gz, err := gzipBytes(buf.Bytes())
	if err != nil {
		return layer{}, err
	}
	return layer{tar: buf.Bytes(), gz: gz, diffID: digest.FromBytes(buf.Bytes())}, nil
}

// gzipBytes compresses data with a zero gzip header (no name, no mtime).
func gzipBytes(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
