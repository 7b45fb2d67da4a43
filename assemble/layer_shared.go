package assemble

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/imageio"
	"github.com/ybuild/ybuild/resolve"
)

// SharedCache is a layer cache shared between machines through a registry
// (package remotecache implements it). writeLayer asks it when the local
// cache misses, by the layer's shape key, and offers it every layer it
// writes. Nothing it returns is trusted: a record is used only when the
// layer's own tar has the recorded DiffID, and its blob only once its
// digest, size and uncompressed DiffID check out.
type SharedCache interface {
	// Lookup returns the layer blob recorded under shape for mediaType,
	// and the DiffID the record claims for it.
	Lookup(ctx context.Context, shape, mediaType string) (ocispec.Descriptor, digest.Digest, bool)
	// Open returns the blob's content; reading it to EOF fails unless it
	// matches desc's digest and size.
	Open(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error)
	// Has reports whether the shared cache holds the blob desc, as a
	// layer left there by an earlier build (Options.RemoteShared) must
	// be to be mounted.
	Has(ctx context.Context, desc ocispec.Descriptor) bool
	// Source returns the blob source of a layer taken from the shared
	// cache and now held, verified, in the local file path: outputs link
	// the file, a push to the cache's registry mounts the blob.
	Source(desc ocispec.Descriptor, path string) resolve.BlobSource
	// Store offers a layer this build wrote, under its shape key: its blob's
	// descriptor, its DiffID and the local file holding the blob.
	Store(shape string, desc ocispec.Descriptor, diffID digest.Digest, path string)
	// Name names the shared cache (its repository, REGISTRY/REPO): the
	// local layer cache records it as the origin of the layers taken from
	// it.
	Name() string
}

// withOrigin returns l with the Source of the shared cache it was taken
// from (now or by an earlier build, as its local record says), when this
// build uses that shared cache: a push to its registry mounts the blob
// instead of uploading it. A layer from another or no shared cache is a
// plain local blob.
func withOrigin(env layerEnv, l layerBlob) layerBlob {
	if l.Origin == "" || env.Shared == nil || env.Shared.Name() != l.Origin {
		l.Origin, l.Source = "", nil
		return l
	}
	l.Source = env.Shared.Source(l.Desc, l.Path)
	return l
}

// SignedCache is a SharedCache whose records may be signed: a record
// signed by a key the build trusts is believed about what its blob
// decompresses to, so the blob is only checked against its digest, and the
// sources' tar against the recorded DiffID (package remotecache, with
// keys).
type SignedCache interface {
	SharedCache
	// Signed reports whether the record Lookup returned for desc and
	// diffID is signed by a trusted key.
	Signed(desc ocispec.Descriptor, diffID digest.Digest) bool
}

// lookupShared returns the layer recorded in the shared cache under shape
// when es, written as a tar, is exactly what the recorded blob decompresses
// to; the blob is then held in env.BlobDir (fetchShared). With
// env.RecordFiles its files are recorded from that tar, as writeBlob
// records them, so the SBOM need not read the blob again.
func lookupShared(ctx context.Context, env layerEnv, shape, mediaType string, es []entry) (layerBlob, bool) {
	if env.Shared == nil || shape == "" {
		return layerBlob{}, false
	}
	desc, want, ok := env.Shared.Lookup(ctx, shape, mediaType)
	if !ok || desc.Size <= 0 || desc.Digest.Validate() != nil || want.Validate() != nil ||
		desc.Size > maxBlobSize(tarSizeBound(es)) {
		return layerBlob{}, false
	}
	desc = ocispec.Descriptor{MediaType: mediaType, Digest: desc.Digest, Size: desc.Size}
	// A blob left in the cache repository must be there for the push to
	// mount or copy it: a record may outlive its blob (deleted, expired).
	if env.RemoteShared && signedRecord(env, desc, want) && env.Shared.Has(ctx, desc) {
		files, err := checkSigned(ctx, env, want, es)
		if err != nil {
			return layerBlob{}, false
		}
		return layerBlob{Desc: desc, DiffID: want, Files: files, Recorded: env.RecordFiles}, true
	}
	p, files, err := fetchShared(ctx, env, desc, want, es)
	if err != nil {
		return layerBlob{}, false
	}
	env.Trust.Note(p, desc)
	return layerBlob{Desc: desc, DiffID: want, Path: p, Files: files, Recorded: env.RecordFiles}, true
}

// maxBlobSize bounds a compressed layer of a tar of n bytes (stored
// deflate blocks and zstd raw blocks add well under 1 %), so that a
// hostile record cannot make the build download without end.
func maxBlobSize(n int64) int64 { return n + n/64 + 1<<20 }

// tarSizeBound is more than the size of es written as a tar: each entry's
// content in 512-byte blocks plus a generous allowance for its headers
// (the header block, a PAX header for long names and large values), and
// the end blocks. It refuses absurd blob sizes before any download.
func tarSizeBound(es []entry) int64 {
	n := int64(1024)
	for _, e := range es {
		n += (e.size+511)/512*512 + 8192 + 2*int64(len(e.name)+len(e.linkname))
	}
	return n
}

// fetchShared downloads desc into BlobDir/sha256/<hex> while es is written
// as a tar beside it, and keeps the blob only when it decompresses to
// exactly that tar and the tar has the DiffID want. The tar is written and
// hashed in its own goroutine while the blob is downloaded, checked by the
// shared cache's reader (digest and size), decompressed and compared with
// it byte for byte: one hash of the uncompressed bytes, not two, and both
// cores busy. A source that changed since the record was made stops the
// download at the first byte that differs. A mismatch leaves nothing behind.
// It returns the blob's path and, with env.RecordFiles, the files of es.
func fetchShared(ctx context.Context, env layerEnv, desc ocispec.Descriptor, want digest.Digest, es []entry) (string, []File, error) {
	dir := filepath.Join(env.BlobDir, "sha256")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, err
	}
	tmp, err := os.CreateTemp(dir, ".shared-*.tmp")
	if err != nil {
		return "", nil, err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	files, err := fetchChecked(ctx, env, desc, want, es, tmp)
	if err != nil {
		return "", nil, fmt.Errorf("shared layer %s: %w", desc.Digest, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return "", nil, err
	}
	if err := tmp.Close(); err != nil {
		return "", nil, err
	}
	p := filepath.Join(dir, desc.Digest.Encoded())
	if err := place(tmp.Name(), p); err != nil {
		return "", nil, err
	}
	done = true
	return p, files, nil
}

// fetchChecked copies the blob desc into tmp while es is written as a tar
// and hashed beside it: compared with the blob decompressed (fetchCompare),
// or, for a record signed by a trusted key, only hashed (fetchSigned). The
// tar must have the DiffID want. With env.RecordFiles the files of es are
// recorded on the tar's way (fileRecorder) and returned. It returns once
// the tar's goroutine has stopped: es is the caller's again.
func fetchChecked(ctx context.Context, env layerEnv, desc ocispec.Descriptor, want digest.Digest, es []entry, tmp io.Writer) ([]File, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rec := recorderFor(env)
	defer rec.close() // on failure: stops the hasher
	var err error
	var tarDone <-chan digest.Digest
	var stopped <-chan struct{}
	if signedRecord(env, desc, want) {
		tarDone, stopped = tarHash(ctx, es, io.Discard, rec, func(err error) error { return err })
		err = fetchSigned(ctx, env, desc, tmp)
	} else {
		var tarR io.ReadCloser
		tarR, tarDone, stopped = tarStream(ctx, es, rec)
		err = fetchCompare(ctx, env, desc, tmp, tarR)
		tarR.Close()
	}
	if err != nil {
		cancel() // stops the tar
	}
	<-stopped
	if got := <-tarDone; err == nil && got != want {
		err = fmt.Errorf("DiffID %s, want %s", got, want)
	}
	if err != nil {
		return nil, err
	}
	return rec.result(), nil
}

// signedRecord reports whether the shared cache's record of desc and want
// is signed by a key the build trusts.
func signedRecord(env layerEnv, desc ocispec.Descriptor, want digest.Digest) bool {
	sc, ok := env.Shared.(SignedCache)
	return ok && sc.Signed(desc, want)
}

// checkSigned hashes es as a tar, recording its files with
// env.RecordFiles, and fails unless its DiffID is want: all a build whose
// outputs are pushes does with a layer under a trusted signed record,
// which it leaves in the cache repository.
func checkSigned(ctx context.Context, env layerEnv, want digest.Digest, es []entry) ([]File, error) {
	rec := recorderFor(env)
	defer rec.close()
	tarDone, stopped := tarHash(ctx, es, io.Discard, rec, func(err error) error { return err })
	<-stopped
	if got := <-tarDone; got != want {
		return nil, fmt.Errorf("DiffID %q, want %s", got, want)
	}
	return rec.result(), nil
}

// fetchSigned copies the blob desc into tmp, checking its digest and size
// (fetchShared checks the sources' DiffID, hashed meanwhile), without
// decompressing the blob: the record is signed by a trusted key, whose
// holder's build made the blob from a tar with that DiffID.
func fetchSigned(ctx context.Context, env layerEnv, desc ocispec.Descriptor, tmp io.Writer) error {
	rc, err := env.Shared.Open(ctx, desc)
	if err != nil {
		return err
	}
	defer rc.Close()
	if _, err := io.Copy(tmp, imageio.WithContext(ctx, rc)); err != nil {
		return err
	}
	return rc.Close()
}

// fetchCompare copies the blob desc into tmp, decompressing it on the way
// and comparing it with the tar read from tarR; both must end together.
// The download (with its digest check) and the copy into tmp run in their
// own goroutine, so decompression, the slowest part, is all this one
// does. The compressed bytes read are bounded by maxBlobSize of the tar
// bytes matched so far, so a hostile blob cannot make the build read
// without end.
func fetchCompare(ctx context.Context, env layerEnv, desc ocispec.Descriptor, tmp io.Writer, tarR io.Reader) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rc, err := env.Shared.Open(ctx, desc)
	if err != nil {
		return err
	}
	defer rc.Close()
	b := &boundedRaw{r: imageio.WithContext(ctx, rc)}
	pr, pw := io.Pipe()
	copied := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.MultiWriter(tmp, pw), b) // to EOF: the digest is checked there
		if err == nil {
			err = rc.Close()
		}
		pw.CloseWithError(err)
		copied <- err
	}()
	err = decompareBlob(pr, tarR, desc, &b.matched)
	if err == nil {
		_, err = io.Copy(io.Discard, pr) // the rest of the blob
	}
	if err != nil {
		cancel() // the download too, when it waits for a registry that stalls
	}
	pr.CloseWithError(errors.Join(err, errStopped)) // stops the copy after a mismatch
	if cerr := <-copied; err == nil {
		err = cerr
	}
	return err
}

// errStopped ends a blob download that is no longer needed.
var errStopped = errors.New("download stopped")

// decompareBlob decompresses the blob read from raw and compares it with
// the tar read from tarR; desc's size must fit the tar's.
func decompareBlob(raw, tarR io.Reader, desc ocispec.Descriptor, matched *atomic.Int64) error {
	dec, err := decompressAs(raw, desc.MediaType)
	if err != nil {
		return err
	}
	err = compareStreams(dec, tarR, matched)
	dec.Close()
	if err == nil && desc.Size > maxBlobSize(matched.Load()) {
		err = fmt.Errorf("%d compressed bytes for a tar of %d", desc.Size, matched.Load())
	}
	return err
}

// decompressAs decompresses raw, a layer blob of mediaType, refusing a
// blob compressed otherwise than its media type says: a plain tar, or zstd
// bytes, recorded as a gzip layer decompress here to the sources all the
// same, but a client that trusts the media type cannot pull them. A blob
// of a plain tar media type is compared as it is.
func decompressAs(raw io.Reader, mediaType string) (io.ReadCloser, error) {
	want := blobCompression(mediaType)
	if want == imageio.None {
		return io.NopCloser(raw), nil
	}
	br := bufio.NewReaderSize(raw, 1<<16)
	head, _ := br.Peek(imageio.MagicLen)
	if got := imageio.Sniff(head); got != want {
		return nil, fmt.Errorf("a %s layer whose blob is not %s", mediaType, want)
	}
	if want == imageio.Zstd {
		return imageio.NewZstdReader(br, zstdWindow)
	}
	return decompress(br)
}

// zstdWindow is the largest window a shared zstd blob may declare: the
// window of ybuild's own encoder at zstdLevel (klauspost/compress's
// default, 8 MiB), which the shape key pins. The decoder allocates the
// declared window (512 MiB at most by default) before the first byte
// comes out, so a tiny hostile frame would otherwise cost that much
// memory per layer.
const zstdWindow = 8 << 20

// blobCompression returns the compression of a layer blob of mediaType.
func blobCompression(mediaType string) imageio.Compression {
	switch {
	case strings.HasSuffix(mediaType, "+gzip"), strings.HasSuffix(mediaType, ".gzip"):
		return imageio.Gzip
	case strings.HasSuffix(mediaType, "+zstd"), strings.HasSuffix(mediaType, ".zstd"):
		return imageio.Zstd
	}
	return imageio.None
}

// boundedRaw reads a compressed blob, failing once it has read more than
// maxBlobSize of the uncompressed bytes matched so far, plus what the
// comparison and the decompressor may hold unmatched (compareChunk and
// their read-ahead).
type boundedRaw struct {
	r       io.Reader
	n       int64
	matched atomic.Int64
}

// Read reads from the blob within the bound.
func (b *boundedRaw) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.n > maxBlobSize(b.matched.Load())+2*compareChunk {
		return n, fmt.Errorf("%d compressed bytes for %d uncompressed", b.n, b.matched.Load())
	}
	return n, err
}

// compareChunk is how many bytes compareStreams compares at a time.
const compareChunk = 1 << 20

// compareStreams reads got and want to their ends and fails at the first
// byte that differs, or when one ends before the other; matched counts the
// equal bytes.
func compareStreams(got, want io.Reader, matched *atomic.Int64) error {
	buf := make([]byte, compareChunk)
	other := make([]byte, compareChunk)
	for {
		n, err := io.ReadFull(got, buf)
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return err
		}
		last := err != nil
		m, werr := io.ReadFull(want, other[:n])
		if werr != nil && werr != io.EOF && werr != io.ErrUnexpectedEOF {
			return werr
		}
		if m != n || !bytes.Equal(buf[:n], other[:n]) {
			return errors.New("content differs from the sources")
		}
		matched.Add(int64(n))
		if last {
			if k, _ := want.Read(other[:1]); k != 0 {
				return errors.New("content ends before the sources")
			}
			return nil
		}
	}
}

// tarStream writes es as a tar into the returned reader from its own
// goroutine (tarHash, recording into rec unless it is nil), keeping up to
// compareChunk bytes ahead of the reader so that it works while the blob is
// decompressed. Closing the reader stops the writer.
func tarStream(ctx context.Context, es []entry, rec *fileRecorder) (io.ReadCloser, <-chan digest.Digest, <-chan struct{}) {
	pr, pw := io.Pipe()
	buf := bufio.NewWriterSize(pw, compareChunk)
	out, stopped := tarHash(ctx, es, buf, rec, func(err error) error {
		if err == nil {
			err = buf.Flush()
		}
		pw.CloseWithError(err)
		return err
	})
	return pr, out, stopped
}

// tarHash writes es as a tar into sink from its own goroutine and hashes
// it, recording its files into rec unless rec is nil; end, called with the
// outcome once the tar is written, may finish sink and fail. The DiffID
// arrives on the first channel (empty on failure); the second is closed
// once the goroutine has stopped, after which es and rec are the caller's
// again.
func tarHash(ctx context.Context, es []entry, sink io.Writer, rec *fileRecorder, end func(error) error) (<-chan digest.Digest, <-chan struct{}) {
	out := make(chan digest.Digest, 1)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		h := sha256.New()
		tw := tar.NewWriter(io.MultiWriter(h, sink))
		err := writeRecorded(ctx, tw, es, func(int64) {}, rec)
		if err == nil {
			err = tw.Close()
		}
		if err = end(err); err != nil {
			out <- ""
		} else {
			out <- digest.NewDigest(digest.SHA256, h)
		}
	}()
	return out, stopped
}
