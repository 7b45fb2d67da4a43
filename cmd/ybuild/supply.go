package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/pflag"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/attest"
	"github.com/ybuild/ybuild/internal/blobfile"
	"github.com/ybuild/ybuild/internal/inputerr"
	"github.com/ybuild/ybuild/output"
	"github.com/ybuild/ybuild/resolve"
	"github.com/ybuild/ybuild/sign"
	"github.com/ybuild/ybuild/spec"
)

// supplyFlags are the supply-chain flags of `ybuild build`.
type supplyFlags struct {
	sbom, provenance bool
	signKey          string
	referrersTag     bool
	// fss are the flag sets the flags are registered on: the root command
	// and `build` share one supplyFlags, each with its own flag set.
	fss []*pflag.FlagSet
}

// addSupplyFlags registers --sbom, --provenance, --sign-key and --referrers-tag.
func addSupplyFlags(fs *pflag.FlagSet, s *supplyFlags) {
	s.fss = append(s.fss, fs)
	fs.BoolVar(&s.sbom, "sbom", true, "attach an SPDX SBOM to every platform manifest (overrides the spec's sbom)")
	fs.BoolVar(&s.provenance, "provenance", true, "attach a SLSA provenance statement (overrides the spec's provenance)")
	fs.StringVar(&s.signKey, "sign-key", "", "sign the image and its attestations with this cosign private key (password from COSIGN_PASSWORD)")
	fs.BoolVar(&s.referrersTag, "referrers-tag", false, "push referrers with the sha256-<hex> tag schema even where the registry has the referrers API")
}

// want resolves whether a document is wanted: the flag when given, else
// the spec's field, else on. explicit reports an explicit request (flag or spec true).
func (s *supplyFlags) want(flag string, flagValue bool, specValue *bool) (on, explicit bool) {
	for _, fs := range s.fss {
		if fs.Changed(flag) {
			return flagValue, flagValue
		}
	}
	if specValue != nil {
		return *specValue, *specValue
	}
	return true, false
}

// wantSBOM reports whether the build of b makes an SBOM: assemble then
// records every new layer's files as it writes them.
func (s *supplyFlags) wantSBOM(b *spec.Build) bool {
	on, _ := s.want("sbom", s.sbom, b.SBOM)
	return on
}

// supply is what a build attaches to its image.
type supply struct {
	name       string
	sboms      [][]byte // per platform manifest, in img.Manifests order
	provenance []byte
	atts       []output.Attachment
	// explicit is set when the documents or signatures were asked for (a
	// flag, or true in the spec), not only on by default: OCI archives then
	// hold them and docker archives get them as files beside them.
	explicit bool
	// cacheDir keeps layer scans across builds ("" with --no-cache).
	cacheDir string
}

// buildSupply makes the SBOMs, the provenance, their referrers and, with a
// key, the cosign signatures and attestations of img.
func buildSupply(ctx context.Context, r *specResult, o *buildOptions, env *buildEnv) (*supply, error) {
	b, base, img, signer := r.spec, r.base, r.img, env.signer
	wantSBOM, askedSBOM := o.supply.want("sbom", o.supply.sbom, b.SBOM)
	wantProv, askedProv := o.supply.want("provenance", o.supply.provenance, b.Provenance)
	s := &supply{name: imageRepo(b), explicit: askedSBOM || askedProv || signer != nil, cacheDir: layerCacheDir(o)}
	if !wantSBOM && !wantProv && signer == nil {
		return s, nil
	}
	created, err := imageCreated(img)
	if err != nil {
		return nil, err
	}
	var docs []attest.Document
	if wantSBOM {
		baseDocs := baseSBOMs(ctx, b, base, env.reg, env.stderr)
		if docs, err = s.makeSBOMs(ctx, b, base, baseDocs, img, created, signer != nil); err != nil {
			return nil, fmt.Errorf("sbom: %w", err)
		}
	}
	if wantProv {
		doc, err := s.makeProvenance(ctx, r, o)
		if err != nil {
			return nil, fmt.Errorf("provenance: %w", err)
		}
		docs = append(docs, doc)
	}
	for _, d := range docs {
		art, err := attest.Referrer(d, created)
		if err != nil {
			return nil, err
		}
		subject := art.Subject
		s.atts = append(s.atts, output.Attachment{Image: art.Image, Subject: &subject})
	}
	if signer != nil {
		if err := s.sign(signer, img, docs); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// makeSBOMs scans each platform's new layers and returns one SBOM document
// per platform manifest, with its in-toto statement form when signed (only
// cosign attestations use it).
func (s *supply) makeSBOMs(ctx context.Context, b *spec.Build, base *resolve.Base, baseDocs map[digest.Digest]*attest.BaseSBOM, img *assemble.Image, created time.Time, signed bool) ([]attest.Document, error) {
	var docs []attest.Document
	scanned := map[digest.Digest]attest.Layer{} // platforms share layers without TARGET* args
	for i, m := range img.Manifests {
		in := attest.SBOMInput{Name: s.name, Manifest: m.Desc, Created: created, Tool: "ybuild-" + version()}
		nBase := 0
		if i < len(base.Images) {
			nBase = len(base.Images[i].Manifest.Layers)
			if base.Digest != "" { // not scratch
				d := base.Images[i].Desc.Digest
				in.Base = attest.Base{Ref: b.Base, Digest: d, SBOM: baseDocs[d]}
			}
		}
		data, err := s.sbom(ctx, img, in, m.Layers[min(nBase, len(m.Layers)):], scanned)
		if err != nil {
			return nil, err
		}
		s.sboms = append(s.sboms, data)
		var st []byte
		if signed {
			if st, err = attest.SBOMStatement(s.name, m.Desc.Digest, data); err != nil {
				return nil, err
			}
		}
		docs = append(docs, attest.Document{Subject: m.Desc, MediaType: attest.MediaTypeSPDX, Data: data, Statement: st, PredicateType: attest.PredicateSPDX})
	}
	return docs, nil
}

// sbom returns the SBOM of in with the new layers layers: the one saved
// for the same input (supply_sbomcache.go), else one made from the layers'
// file lists (scanned holds those listed so far), saved for the next build.
func (s *supply) sbom(ctx context.Context, img *assemble.Image, in attest.SBOMInput, layers []ocispec.Descriptor, scanned map[digest.Digest]attest.Layer) ([]byte, error) {
	key, _ := sbomKey(in, layers)
	if data, ok := loadSBOM(s.cacheDir, key); ok {
		return data, nil
	}
	for _, l := range layers {
		layer, ok := scanned[l.Digest]
		if !ok {
			var err error
			if layer, err = scanLayer(ctx, img, l, s.cacheDir); err != nil {
				return nil, err
			}
			scanned[l.Digest] = layer
		}
		in.Layers = append(in.Layers, layer)
	}
	data, err := attest.SBOM(in)
	if err != nil {
		return nil, err
	}
	saveSBOM(s.cacheDir, key, data)
	return data, nil
}

// scanLayer lists the files of one new layer: those assemble recorded
// while writing it, else the saved list of the same blob from the cache
// directory (a layer from the layer cache), else a read of the blob (ELF
// files are spooled to the temporary directory, TMPDIR). A list not read
// from the cache is saved there for the next build.
func scanLayer(ctx context.Context, img *assemble.Image, l ocispec.Descriptor, cacheDir string) (attest.Layer, error) {
	if files, diffID, ok := img.Files(l); ok {
		layer := attest.Layer{Desc: l, DiffID: diffID, Files: files}
		saveScan(cacheDir, layer)
		return layer, nil
	}
	if files, diffID, ok := loadScan(cacheDir, l.Digest); ok {
		return attest.Layer{Desc: l, DiffID: diffID, Files: files}, nil
	}
	rc, err := img.Open(ctx, l)
	if err != nil {
		return attest.Layer{}, err
	}
	defer rc.Close()
	files, diffID, err := attest.ScanBlob(ctx, rc, l.MediaType, os.TempDir())
	if err != nil {
		return attest.Layer{}, fmt.Errorf("layer %s: %w", l.Digest, err)
	}
	layer := attest.Layer{Desc: l, DiffID: diffID, Files: files}
	saveScan(cacheDir, layer)
	return layer, nil
}

// imageRepo is the image's name without tag: the first tag's repository,
// else localhost/NAME.
func imageRepo(b *spec.Build) string {
	if len(b.Tags) > 0 {
		if n, err := reference.ParseNormalizedNamed(b.Tags[0]); err == nil {
			return n.Name()
		}
	}
	name := b.Name
	if name == "" {
		name = "image"
	}
	return "localhost/" + name
}

// imageCreated reads the created time from the first manifest's config.
func imageCreated(img *assemble.Image) (time.Time, error) {
	if len(img.Manifests) == 0 {
		return time.Time{}, errors.New("image has no manifests")
	}
	var cfg struct {
		Created *time.Time `json:"created"`
	}
	if err := json.Unmarshal(img.Bytes(img.Manifests[0].Config), &cfg); err != nil {
		return time.Time{}, fmt.Errorf("image config: %w", err)
	}
	if cfg.Created == nil {
		return time.Unix(0, 0).UTC(), nil
	}
	return cfg.Created.UTC(), nil
}

// maxKeyFile bounds a --sign-key file (a cosign key is under 1 KiB).
const maxKeyFile = 1 << 20

// loadSigner reads a cosign private key, its password from COSIGN_PASSWORD.
func loadSigner(path string) (*sign.Signer, error) {
	data, err := inputerr.ReadFileOrPipe(path, maxKeyFile)
	if err != nil {
		return nil, usageError{fmt.Errorf("--sign-key: %w", err)}
	}
	s, err := sign.LoadKey(data, []byte(os.Getenv("COSIGN_PASSWORD")))
	if err != nil {
		return nil, usageError{fmt.Errorf("--sign-key %s: %w", path, err)}
	}
	return s, nil
}

// write writes img to w with the attachments, or, for a docker archive
// (which cannot hold them), writes the documents beside it when asked and
// says so otherwise. It also returns what it stored besides the image.
func (s *supply) write(ctx context.Context, w output.Writer, img *assemble.Image, stderr io.Writer) (output.Result, []attachmentMetadata, error) {
	aw, ok := w.(output.AttachWriter)
	h := w.Holds()
	// An OCI archive holding more than one index.json entry no longer loads
	// with `podman load` or `skopeo ... oci-archive:FILE` without a ref, so
	// it holds the attachments only when they are asked for explicitly.
	archive := strings.HasPrefix(h.Dest, "oci-archive:")
	if ok && len(s.atts) > 0 && (!archive || s.explicit) {
		res, err := aw.WriteAttached(ctx, img, s.atts)
		return res, storedMetadata(h, s.atts), err
	}
	res, err := w.Write(ctx, img)
	if err != nil || len(s.atts) == 0 || (ok && !archive) {
		return res, nil, err
	}
	switch {
	case archive:
		fmt.Fprintf(stderr, "ybuild: %s: the SBOM, provenance and signatures are not in the archive (podman load and skopeo want one image in it); pass --sbom, --provenance or --sign-key explicitly to add them\n", h.Dest)
	case !s.explicit:
		fmt.Fprintf(stderr, "ybuild: %s: a docker archive cannot hold the SBOM and provenance; pass --sbom or --provenance to write them beside it (%s.sbom.spdx.json, %s.provenance.json)\n", h.Dest, h.Path, h.Path)
	default:
		files, err := s.writeSideFiles(h)
		return res, files, err
	}
	return res, nil, nil
}

// writeSideFiles writes FILE.sbom.spdx.json and FILE.provenance.json beside
// a docker archive (one platform, so one SBOM) and describes them.
func (s *supply) writeSideFiles(w output.Holds) ([]attachmentMetadata, error) {
	files := []attachmentMetadata{}
	write := func(kind, mediaType, path string, data []byte) error {
		err := blobfile.WriteAtomic(path, 0o644, true, func(f *os.File) error {
			_, err := f.Write(data)
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: %w", w.Dest, err)
		}
		files = append(files, fileMetadata(kind, mediaType, path, data))
		return nil
	}
	if len(s.sboms) > 0 {
		if err := write("sbom", attest.MediaTypeSPDX, w.Path+".sbom.spdx.json", s.sboms[0]); err != nil {
			return files, err
		}
	}
	if s.provenance != nil {
		if err := write("provenance", attest.MediaTypeInToto, w.Path+".provenance.json", s.provenance); err != nil {
			return files, err
		}
	}
	return files, nil
}
