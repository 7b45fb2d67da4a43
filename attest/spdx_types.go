package attest

// The SPDX 2.3 JSON document, written by hand: the fields ybuild fills, in
// a fixed order (encoding/json writes struct fields in declaration order).

// spdxDocument is an SPDX 2.3 document.
type spdxDocument struct {
	SPDXVersion       string           `json:"spdxVersion"`
	DataLicense       string           `json:"dataLicense"`
	SPDXID            string           `json:"SPDXID"`
	Name              string           `json:"name"`
	DocumentNamespace string           `json:"documentNamespace"`
	CreationInfo      spdxCreationInfo `json:"creationInfo"`
	// ExternalDocumentRefs names the base image's own SBOM, if it has one.
	ExternalDocumentRefs []spdxExternalDocumentRef `json:"externalDocumentRefs,omitempty"`
	DocumentDescribes    []string                  `json:"documentDescribes"`
	Packages             []spdxPackage             `json:"packages"`
	Files                []spdxFile                `json:"files,omitempty"`
	Relationships        []spdxRelationship        `json:"relationships"`
}

// spdxCreationInfo says who made the document and when.
type spdxCreationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

// spdxPackage is one package: the image, the base, a layer, a Go module.
type spdxPackage struct {
	Name                  string            `json:"name"`
	SPDXID                string            `json:"SPDXID"`
	VersionInfo           string            `json:"versionInfo,omitempty"`
	Supplier              string            `json:"supplier,omitempty"`
	DownloadLocation      string            `json:"downloadLocation"`
	FilesAnalyzed         bool              `json:"filesAnalyzed"`
	VerificationCode      *spdxVerification `json:"packageVerificationCode,omitempty"`
	Checksums             []spdxChecksum    `json:"checksums,omitempty"`
	LicenseConcluded      string            `json:"licenseConcluded"`
	LicenseDeclared       string            `json:"licenseDeclared"`
	CopyrightText         string            `json:"copyrightText"`
	Comment               string            `json:"comment,omitempty"`
	ExternalRefs          []spdxExternalRef `json:"externalRefs,omitempty"`
	PrimaryPackagePurpose string            `json:"primaryPackagePurpose,omitempty"`
	HasFiles              []string          `json:"hasFiles,omitempty"`
}

// spdxVerification is a package verification code: the SHA-1 of the
// sorted SHA-1s of its files.
type spdxVerification struct {
	Value string `json:"packageVerificationCodeValue"`
}

// spdxChecksum is one checksum of a file or package.
type spdxChecksum struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"checksumValue"`
}

// spdxExternalRef is a package URL or other external identifier.
type spdxExternalRef struct {
	Category string `json:"referenceCategory"`
	Type     string `json:"referenceType"`
	Locator  string `json:"referenceLocator"`
}

// spdxFile is one file ybuild added.
type spdxFile struct {
	FileName         string         `json:"fileName"`
	SPDXID           string         `json:"SPDXID"`
	FileTypes        []string       `json:"fileTypes,omitempty"`
	Checksums        []spdxChecksum `json:"checksums"`
	LicenseConcluded string         `json:"licenseConcluded"`
	CopyrightText    string         `json:"copyrightText"`
	Comment          string         `json:"comment,omitempty"`
}

// spdxRelationship links two elements.
type spdxRelationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

// spdxExternalDocumentRef references another SPDX document.
type spdxExternalDocumentRef struct {
	ID       string       `json:"externalDocumentId"`
	Document string       `json:"spdxDocument"`
	Checksum spdxChecksum `json:"checksum"`
}
