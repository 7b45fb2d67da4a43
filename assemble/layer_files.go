package assemble

import (
	"archive/tar"
	"bytes"
	"crypto/sha1" //nolint:gosec // SPDX 2.3 gives every file a SHA-1; SHA-256 is recorded too
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"hash"
	"io"
	"strings"
)

// File is one regular file a new layer adds, recorded while the layer is
// written (Options.RecordFiles): what an SBOM lists. Whiteouts are not
// files; hardlinks, directories, symlinks and devices are not listed.
type File struct {
	// Path is the file's absolute path in the image (/app/hello).
	Path string
	// Mode is the permission bits of the tar header.
	Mode int64
	// Size is the file's size in bytes.
	Size int64
	// SHA256 and SHA1 are the hex digests of the content.
	SHA256, SHA1 string
	// Go is the build information of a Go binary, else nil.
	Go *GoBinary
}

// GoBinary is what debug/buildinfo reads from a Go executable.
type GoBinary struct {
	// GoVersion is the toolchain that built it (go1.26.8).
	GoVersion string
	// Main is the main module; Deps are the dependencies, in buildinfo's order.
	Main Module
	Deps []Module
}

// Module is one Go module of a binary.
type Module struct {
	// Path and Version identify the module; Sum is its go.sum hash (h1:…).
	Path, Version, Sum string
}

// MaxGoBinary bounds the size of the files whose Go build information is read.
const MaxGoBinary = 1 << 30

// elfMagic starts every ELF executable.
var elfMagic = []byte{0x7f, 'E', 'L', 'F'}

// GoCandidate reports whether a file with this mode, size and first bytes
// may be a Go binary whose build information is worth reading: an
// executable ELF file of at most MaxGoBinary bytes.
func GoCandidate(mode, size int64, head []byte) bool {
	return bytes.HasPrefix(head, elfMagic) && size <= MaxGoBinary && mode&0o111 != 0
}

// ReadGoBinary reads the build information of a Go executable, or nil.
func ReadGoBinary(r io.ReaderAt) *GoBinary {
	bi, err := buildinfo.Read(r)
	if err != nil {
		return nil // not a Go binary, or built without module information
	}
	g := &GoBinary{GoVersion: bi.GoVersion, Main: Module{Path: bi.Main.Path, Version: bi.Main.Version, Sum: bi.Main.Sum}}
	for _, d := range bi.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		g.Deps = append(g.Deps, Module{Path: d.Path, Version: d.Version, Sum: d.Sum})
	}
	return g
}

// fileRecorder hashes the content of each regular file as writeEntries
// writes it into the tar: the bytes pass through once. The hashing (SHA-256
// and SHA-1, as much CPU as the layer's own hashes) runs in its own
// goroutine, off the path that reads the sources: Write copies the bytes
// into batches, each with the ends of the files it completes, and the
// hasher records each file from them. close waits for it; files is read
// only after.
type fileRecorder struct {
	files []File // the hasher's, complete once close returns

	cur     *recBatch // the batch being filled
	head    [4]byte   // the current file's first bytes
	headLen int
	batches chan *recBatch
	free    chan *recBatch
	done    chan struct{}
	closed  bool
}

// recBatch is content bytes of one or more files and where each file that
// ends in it ends.
type recBatch struct {
	buf  []byte
	ends []recEnd
}

// recEnd is the end of one file's content in a batch: its offset, entry
// and first bytes.
type recEnd struct {
	off     int
	e       *entry
	head    [4]byte
	headLen int
}

// Recorder batching: a batch is sent when it holds recBatchSize bytes or
// recBatchFiles file ends; recQueue batches wait for the hasher (memory is
// bounded by (recQueue+2)*recBatchSize).
const (
	recBatchSize  = 256 << 10
	recBatchFiles = 512
	recQueue      = 8
)

// newFileRecorder returns an empty recorder and starts its hasher.
func newFileRecorder() *fileRecorder {
	r := &fileRecorder{files: []File{}, batches: make(chan *recBatch, recQueue),
		free: make(chan *recBatch, recQueue+2), done: make(chan struct{})}
	r.cur = r.batch()
	go r.hash()
	return r
}

// records reports whether e is listed: a regular file that is not a whiteout.
func records(e *entry) bool {
	return e.kind == tar.TypeReg && !strings.HasPrefix(base(e.name), whiteoutPrefix)
}

// start begins a file's record; its content follows through Write.
func (r *fileRecorder) start() { r.headLen = 0 }

// Write queues content bytes for hashing, keeping the first four.
func (r *fileRecorder) Write(p []byte) (int, error) {
	if r.headLen < len(r.head) {
		r.headLen += copy(r.head[r.headLen:], p)
	}
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), recBatchSize-len(r.cur.buf))
		r.cur.buf = append(r.cur.buf, p[:k]...)
		p = p[k:]
		if len(r.cur.buf) == recBatchSize {
			r.send()
		}
	}
	return n, nil
}

// finish marks the end of e's content.
func (r *fileRecorder) finish(e *entry) {
	r.cur.ends = append(r.cur.ends, recEnd{off: len(r.cur.buf), e: e, head: r.head, headLen: r.headLen})
	if len(r.cur.ends) == recBatchFiles {
		r.send()
	}
}

// recorderFor returns a new recorder when env records files
// (Options.RecordFiles), else nil, which records nothing.
func recorderFor(env layerEnv) *fileRecorder {
	if !env.RecordFiles {
		return nil
	}
	return newFileRecorder()
}

// result closes r and returns the files it recorded; nil for a nil r.
func (r *fileRecorder) result() []File {
	if r == nil {
		return nil
	}
	r.close()
	return r.files
}

// close sends the last batch and waits until every file is recorded. It
// may be called more than once, and on a nil recorder.
func (r *fileRecorder) close() {
	if r == nil || r.closed {
		return
	}
	r.closed = true
	r.batches <- r.cur
	r.cur = nil
	close(r.batches)
	<-r.done
}

// send queues the current batch and starts another.
func (r *fileRecorder) send() {
	r.batches <- r.cur
	r.cur = r.batch()
}

// batch returns an empty batch, reusing a hashed one when there is one.
func (r *fileRecorder) batch() *recBatch {
	select {
	case b := <-r.free:
		b.buf, b.ends = b.buf[:0], b.ends[:0]
		return b
	default:
		return &recBatch{buf: make([]byte, 0, recBatchSize)}
	}
}

// hash is the hasher: it hashes every batch and records each file that
// ends in it.
func (r *fileRecorder) hash() {
	defer close(r.done)
	s256, s1 := sha256.New(), sha1.New() //nolint:gosec // SPDX 2.3
	for b := range r.batches {
		prev := 0
		for _, end := range b.ends {
			s256.Write(b.buf[prev:end.off])
			s1.Write(b.buf[prev:end.off])
			r.files = append(r.files, recordFile(end, s256, s1))
			s256.Reset()
			s1.Reset()
			prev = end.off
		}
		s256.Write(b.buf[prev:])
		s1.Write(b.buf[prev:])
		select {
		case r.free <- b:
		default:
		}
	}
}

// recordFile is the record of the file that ends at end, whose content the
// hashes hold, with the Go build information of a Go binary candidate
// (read again from its source: a second read of that file only).
func recordFile(end recEnd, s256, s1 hash.Hash) File {
	e := end.e
	f := File{Path: "/" + e.name, Mode: int64(e.mode & 0o7777), Size: e.size,
		SHA256: hex.EncodeToString(s256.Sum(nil)), SHA1: hex.EncodeToString(s1.Sum(nil))}
	if GoCandidate(f.Mode, f.Size, end.head[:end.headLen]) {
		f.Go = readGoSource(e)
	}
	return f
}

// readGoSource reads the Go build information of e's source, or nil.
func readGoSource(e *entry) *GoBinary {
	if e.content != nil {
		return ReadGoBinary(strings.NewReader(*e.content))
	}
	src, err := openContent(e)
	if err != nil {
		return nil
	}
	defer src.Close()
	return ReadGoBinary(src)
}
