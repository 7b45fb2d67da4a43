package registry

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// Reference is a normalised registry reference: docker.io/library/alpine:latest
// for "alpine", with the registry's host (and port) split out.
type Reference struct {
	// Domain is the registry host as users name it, with its port:
	// docker.io, ghcr.io, 127.0.0.1:5000.
	Domain string
	// Path is the repository path inside the registry: library/alpine.
	Path string
	// Tag is the tag, "latest" when neither a tag nor a digest was given.
	Tag string
	// Digest is the pinned digest, if any. When a reference has both a tag
	// and a digest, the digest wins and the tag is only a label.
	Digest digest.Digest
}

// ParseReference normalises a Dockerfile-style image reference with
// distribution/reference (short Docker Hub names gain docker.io/library/,
// a reference without tag or digest gets :latest).
func ParseReference(s string) (Reference, error) {
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return Reference{}, fmt.Errorf("parse reference %q: %w", s, err)
	}
	r := Reference{Domain: reference.Domain(named), Path: reference.Path(named)}
	if t, ok := named.(reference.Tagged); ok {
		r.Tag = t.Tag()
	}
	if d, ok := named.(reference.Digested); ok {
		r.Digest = d.Digest()
		if err := r.Digest.Validate(); err != nil {
			return Reference{}, fmt.Errorf("parse reference %q: %w", s, err)
		}
	}
	if r.Tag == "" && r.Digest == "" {
		r.Tag = "latest"
	}
	return r, nil
}

// Name returns domain/path.
func (r Reference) Name() string { return r.Domain + "/" + r.Path }

// String returns the fully qualified reference: name[:tag][@digest].
func (r Reference) String() string {
	s := r.Name()
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest.String()
	}
	return s
}

// WithDigest returns name[:tag]@d.
func (r Reference) WithDigest(d digest.Digest) Reference {
	r.Digest = d
	return r
}

// credentialHosts returns the endpoint hosts containerd asks credentials
// for: the domain, and registry-1.docker.io for Docker Hub.
func (r Reference) credentialHosts() []string {
	if r.Domain == "docker.io" {
		return []string{"registry-1.docker.io", "docker.io"}
	}
	return []string{r.Domain}
}

// Hostname returns the domain without its port, as used in containerd's
// distribution source annotation key.
func (r Reference) Hostname() string {
	h := r.Domain
	if strings.HasPrefix(h, "[") {
		if i := strings.Index(h, "]"); i > 0 {
			return h[1:i]
		}
	}
	if i := strings.LastIndex(h, ":"); i >= 0 {
		return h[:i]
	}
	return h
}

// sourceAnnotation returns containerd's descriptor annotation key and value
// that ask a pusher on the same registry to mount blobs from this
// repository: containerd.io/distribution.source.<hostname>=<path>.
func (r Reference) sourceAnnotation() (key, value string) {
	return "containerd.io/distribution.source." + r.Hostname(), r.Path
}
