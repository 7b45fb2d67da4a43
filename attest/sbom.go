package attest

import (
	"crypto/sha1" //nolint:gosec // the SPDX package verification code is defined with SHA-1
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// MediaTypeSPDX is the media type of an SPDX JSON document, also the
// artifact type of the SBOM referrer.
const MediaTypeSPDX = "application/spdx+json"

// PredicateSPDX is the in-toto predicate type of an SPDX document (what
// `cosign verify-attestation --type spdxjson` selects).
const PredicateSPDX = "https://spdx.dev/Document"

// noAssertion is SPDX's "not stated".
const noAssertion = "NOASSERTION"

// SBOMInput is what the SBOM of one platform manifest describes.
type SBOMInput struct {
	// Name is the image's fully qualified name without tag
	// (docker.io/library/hello), used in the document name and purls.
	Name string
	// Manifest is the platform manifest the SBOM describes.
	Manifest ocispec.Descriptor
	// Created is the image's created time, the document's creation time.
	Created time.Time
	// Tool names the creator, e.g. "ybuild-v0.3.0".
	Tool string
	// Base is the image the build starts from; a zero Digest means scratch.
	Base Base
	// Layers are the layers ybuild added, bottom to top.
	Layers []Layer
}

// Base describes the base image of one platform.
type Base struct {
	// Ref is the base reference as the spec gives it.
	Ref string
	// Digest is the base's platform manifest digest.
	Digest digest.Digest
	// SBOM, if set, is the SBOM the base carries as a referrer.
	SBOM *BaseSBOM
}

// BaseSBOM identifies the base's own SPDX document, which the image's SBOM
// references as an external document.
type BaseSBOM struct {
	// Referrer is the digest of the artifact manifest that attaches it.
	Referrer digest.Digest
	// Namespace is its documentNamespace; SHA1 the SHA-1 of its bytes
	// (hex), as SPDX 2.3 external document references require.
	Namespace, SHA1 string
}

// baseDocumentRef is the external document id of the base's SBOM.
const baseDocumentRef = "DocumentRef-base"

// Layer is one layer ybuild added.
type Layer struct {
	// Desc is the layer blob's descriptor; DiffID its uncompressed digest.
	Desc   ocispec.Descriptor
	DiffID digest.Digest
	// Files are the regular files it adds, in tar order.
	Files []File
}

// SBOM returns the SPDX 2.3 JSON document of one platform image, compact
// (an image of 15,000 files gives about 8 MB).
func SBOM(in SBOMInput) ([]byte, error) {
	b := &sbomBuilder{doc: spdxDocument{
		SPDXVersion: "SPDX-2.3",
		DataLicense: "CC0-1.0",
		SPDXID:      "SPDXRef-DOCUMENT",
		Name:        in.Name + "@" + in.Manifest.Digest.String(),
		// Derived from the manifest digest: the SBOM refers to the image,
		// which never depends on it.
		DocumentNamespace: "https://ybuild.dev/spdx/" + in.Manifest.Digest.Encoded(),
		CreationInfo: spdxCreationInfo{
			Created:  in.Created.UTC().Truncate(time.Second).Format(time.RFC3339),
			Creators: []string{"Tool: " + in.Tool},
		},
		DocumentDescribes: []string{"SPDXRef-Image"},
	}}
	b.image(in)
	if in.Base.Digest != "" {
		b.base(in.Base)
	}
	for i, l := range in.Layers {
		b.layer(i, l)
	}
	return json.Marshal(b.doc)
}

// sbomBuilder accumulates the document.
type sbomBuilder struct {
	doc     spdxDocument
	modules map[string]bool // Go module package ids already listed
}

// pkg adds a package with the license and copyright fields left open.
func (b *sbomBuilder) pkg(p spdxPackage) {
	p.LicenseConcluded, p.LicenseDeclared, p.CopyrightText = noAssertion, noAssertion, noAssertion
	if p.DownloadLocation == "" {
		p.DownloadLocation = noAssertion
	}
	b.doc.Packages = append(b.doc.Packages, p)
}

// rel adds a relationship.
func (b *sbomBuilder) rel(from, typ, to string) {
	b.doc.Relationships = append(b.doc.Relationships, spdxRelationship{Element: from, Type: typ, Related: to})
}

// image adds the image itself.
func (b *sbomBuilder) image(in SBOMInput) {
	b.pkg(spdxPackage{
		Name: in.Name, SPDXID: "SPDXRef-Image", VersionInfo: in.Manifest.Digest.String(),
		Checksums:             []spdxChecksum{{Algorithm: "SHA256", Value: in.Manifest.Digest.Encoded()}},
		ExternalRefs:          []spdxExternalRef{ociPurl(in.Name, in.Manifest.Digest)},
		PrimaryPackagePurpose: "CONTAINER",
	})
	b.rel("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image")
}

// base adds the base image.
func (b *sbomBuilder) base(base Base) {
	p := spdxPackage{
		Name: base.Ref, SPDXID: "SPDXRef-Base", VersionInfo: base.Digest.String(),
		Checksums:             []spdxChecksum{{Algorithm: "SHA256", Value: base.Digest.Encoded()}},
		PrimaryPackagePurpose: "CONTAINER",
	}
	if name := registryName(base.Ref); name != "" {
		p.ExternalRefs = []spdxExternalRef{ociPurl(name, base.Digest)}
	}
	if base.SBOM != nil {
		p.Comment = "The base image's own SBOM is attached to it as the referrer " + base.SBOM.Referrer.String()
	}
	b.pkg(p)
	b.rel("SPDXRef-Image", "DESCENDANT_OF", "SPDXRef-Base")
	if base.SBOM != nil {
		b.doc.ExternalDocumentRefs = []spdxExternalDocumentRef{{
			ID: baseDocumentRef, Document: base.SBOM.Namespace,
			Checksum: spdxChecksum{Algorithm: "SHA1", Value: base.SBOM.SHA1},
		}}
		b.rel("SPDXRef-Base", "DESCRIBED_BY", baseDocumentRef+":SPDXRef-DOCUMENT")
	}
}

// layer adds one ybuild layer, its files and the Go modules of its binaries.
func (b *sbomBuilder) layer(i int, l Layer) {
	id := fmt.Sprintf("SPDXRef-Layer-%d", i)
	p := spdxPackage{
		Name: fmt.Sprintf("layer %d", i), SPDXID: id, VersionInfo: l.Desc.Digest.String(),
		Checksums:     []spdxChecksum{{Algorithm: "SHA256", Value: l.Desc.Digest.Encoded()}},
		Comment:       "diff ID " + l.DiffID.String() + ", media type " + l.Desc.MediaType,
		FilesAnalyzed: len(l.Files) > 0,
	}
	sums := make([]string, 0, len(l.Files))
	for j, f := range l.Files {
		fid := fmt.Sprintf("SPDXRef-File-%d-%d", i, j)
		p.HasFiles = append(p.HasFiles, fid)
		sums = append(sums, f.SHA1)
		b.file(fid, f)
	}
	if len(l.Files) > 0 {
		p.VerificationCode = &spdxVerification{Value: verificationCode(sums)}
	}
	b.pkg(p)
	b.rel("SPDXRef-Image", "CONTAINS", id)
	for j := range l.Files {
		b.rel(id, "CONTAINS", fmt.Sprintf("SPDXRef-File-%d-%d", i, j))
	}
	for j, f := range l.Files {
		if f.Go != nil {
			b.goModules(fmt.Sprintf("SPDXRef-File-%d-%d", i, j), f.Go)
		}
	}
}

// file adds one file.
func (b *sbomBuilder) file(id string, f File) {
	sf := spdxFile{
		FileName: "." + f.Path, SPDXID: id,
		Checksums: []spdxChecksum{
			{Algorithm: "SHA1", Value: f.SHA1},
			{Algorithm: "SHA256", Value: f.SHA256},
		},
		LicenseConcluded: noAssertion, CopyrightText: noAssertion,
		Comment: fmt.Sprintf("mode %04o, %d bytes", f.Mode, f.Size),
	}
	if f.Go != nil {
		sf.FileTypes = []string{"BINARY"}
	}
	b.doc.Files = append(b.doc.Files, sf)
}

// goModules adds the Go toolchain and modules of a binary: the file is
// generated from the main module, which depends on the others.
func (b *sbomBuilder) goModules(fileID string, g *GoBinary) {
	main := b.module(g.Main, "APPLICATION")
	b.rel(fileID, "GENERATED_FROM", main)
	std := b.module(Module{Path: "stdlib", Version: strings.TrimPrefix(g.GoVersion, "go")}, "LIBRARY")
	b.rel(main, "DEPENDS_ON", std)
	for _, d := range g.Deps {
		b.rel(main, "DEPENDS_ON", b.module(d, "LIBRARY"))
	}
}

// module adds a Go module package once and returns its id.
func (b *sbomBuilder) module(m Module, purpose string) string {
	version := m.Version
	if version == "" {
		version = "(devel)"
	}
	id := "SPDXRef-Go-" + spdxIDPart(m.Path+"-"+version)
	if b.modules == nil {
		b.modules = map[string]bool{}
	}
	if b.modules[id] {
		return id
	}
	b.modules[id] = true
	p := spdxPackage{
		Name: m.Path, SPDXID: id, VersionInfo: version, PrimaryPackagePurpose: purpose,
		ExternalRefs: []spdxExternalRef{{Category: "PACKAGE-MANAGER", Type: "purl", Locator: goPurl(m.Path, m.Version)}},
	}
	if m.Sum != "" {
		p.Comment = "go.sum " + m.Sum
	}
	if m.Path != "stdlib" && m.Version != "" && m.Version != "(devel)" {
		p.DownloadLocation = "https://proxy.golang.org/" + escapeModule(m.Path) + "/@v/" + m.Version + ".zip"
	}
	b.pkg(p)
	return id
}

// verificationCode is SPDX's package verification code: the SHA-1 of the
// sorted, concatenated SHA-1s of the package's files.
func verificationCode(sums []string) string {
	s := append([]string(nil), sums...)
	sort.Strings(s)
	h := sha1.Sum([]byte(strings.Join(s, ""))) //nolint:gosec // defined by SPDX
	return hex.EncodeToString(h[:])
}

// spdxIDPart keeps the characters an SPDX id allows (letters, digits, '.'
// and '-'), replacing the others with '-'.
func spdxIDPart(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, s)
}

// ociPurl is the package URL of an image: pkg:oci/NAME@DIGEST?repository_url=REPO.
func ociPurl(name string, d digest.Digest) spdxExternalRef {
	last := name[strings.LastIndex(name, "/")+1:]
	loc := "pkg:oci/" + url.PathEscape(last) + "@" + url.QueryEscape(d.String()) +
		"?repository_url=" + url.QueryEscape(name)
	return spdxExternalRef{Category: "PACKAGE-MANAGER", Type: "purl", Locator: loc}
}

// goPurl is the package URL of a Go module: pkg:golang/PATH@VERSION.
func goPurl(path, version string) string {
	p := "pkg:golang/" + path
	if version != "" && version != "(devel)" {
		p += "@" + url.PathEscape(version)
	}
	return p
}

// escapeModule escapes upper-case letters in a module path as the module
// proxy protocol does (!x for X).
func escapeModule(path string) string {
	var sb strings.Builder
	for _, r := range path {
		if r >= 'A' && r <= 'Z' {
			sb.WriteByte('!')
			r += 'a' - 'A'
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// registryName returns the repository of a registry reference without its
// tag or digest, or "" for local bases (oci:, oci-archive:, docker-archive:, scratch).
func registryName(ref string) string {
	if ref == "scratch" || strings.Contains(ref, "archive:") || strings.HasPrefix(ref, "oci:") {
		return ""
	}
	ref = strings.TrimPrefix(ref, "docker://")
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	return ref
}
