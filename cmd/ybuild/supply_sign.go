package main

import (
	"github.com/opencontainers/go-digest"

	"github.com/ybuild/ybuild/assemble"
	"github.com/ybuild/ybuild/attest"
	"github.com/ybuild/ybuild/output"
	"github.com/ybuild/ybuild/sign"
)

// sign adds cosign signatures of every manifest (the top-level one and,
// for an index, each platform's) and signed attestations: each document
// under the manifest it is about.
func (s *supply) sign(signer *sign.Signer, img *assemble.Image, docs []attest.Document) error {
	subjects := []digest.Digest{img.Desc.Digest}
	for _, m := range img.Manifests {
		if m.Desc.Digest != img.Desc.Digest {
			subjects = append(subjects, m.Desc.Digest)
		}
	}
	for _, d := range subjects {
		top := d == img.Desc.Digest
		sigImg, err := signer.SignatureImage(s.name, d)
		if err != nil {
			return err
		}
		s.atts = append(s.atts, output.Attachment{Image: sigImg, Tag: sign.SigTag(d), Kind: kindIf(top, output.KindSignatures)})
		var sts []sign.Statement
		for _, doc := range docs {
			if doc.Subject.Digest == d {
				sts = append(sts, sign.Statement{Data: doc.Statement, PredicateType: doc.PredicateType})
			}
		}
		if len(sts) == 0 {
			continue
		}
		attImg, err := signer.AttestationImage(sts)
		if err != nil {
			return err
		}
		s.atts = append(s.atts, output.Attachment{Image: attImg, Tag: sign.AttTag(d), Kind: kindIf(top, output.KindAttestations)})
	}
	return nil
}

// kindIf returns kind when top, else "".
func kindIf(top bool, kind string) string {
	if top {
		return kind
	}
	return ""
}
