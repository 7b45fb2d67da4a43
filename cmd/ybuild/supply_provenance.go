package main

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/ybuild/ybuild/attest"
	"github.com/ybuild/ybuild/lock"
)

// makeProvenance returns the provenance document, attached to the
// top-level manifest and naming every manifest as a subject.
func (s *supply) makeProvenance(ctx context.Context, r *specResult, o *buildOptions) (attest.Document, error) {
	b, base, img := r.spec, r.base, r.img
	in := attest.ProvenanceInput{
		Name: s.name, SpecPath: r.file, Args: argMap(o.args), Platforms: sortedCopy(o.platforms),
		Base: b.Base, Version: version(),
	}
	in.Subjects = append(in.Subjects, img.Desc.Digest)
	for _, m := range img.Manifests {
		in.Subjects = append(in.Subjects, m.Desc.Digest)
	}
	if base.Digest != "" { // not scratch
		in.BaseDigests = append(in.BaseDigests, base.Digest)
		for _, bi := range base.Images {
			in.BaseDigests = append(in.BaseDigests, bi.Desc.Digest)
		}
	}
	data, err := os.ReadFile(r.file)
	if err != nil {
		return attest.Document{}, err
	}
	in.SpecDigest = digest.FromBytes(data)
	if r.pin != nil {
		lockPath := lock.Path(r.file)
		lockData, err := os.ReadFile(lockPath)
		if err != nil {
			return attest.Document{}, err
		}
		in.LockPath, in.LockDigest = lockPath, digest.FromBytes(lockData)
	}
	in.GitCommit, in.GitRemote = gitSource(ctx, b.Dir)
	prov, err := attest.Provenance(in)
	if err != nil {
		return attest.Document{}, err
	}
	s.provenance = prov
	return attest.Document{Subject: img.Desc, MediaType: attest.MediaTypeInToto, Data: prov, Statement: prov, PredicateType: attest.PredicateSLSA}, nil
}

// argMap turns --arg NAME=VALUE flags into a map (nil when there are none).
func argMap(args []string) map[string]string {
	if len(args) == 0 {
		return nil
	}
	m := make(map[string]string, len(args))
	for _, a := range args {
		k, v, _ := strings.Cut(a, "=")
		m[k] = v
	}
	return m
}

// sortedCopy returns a sorted copy of s, nil when empty.
func sortedCopy(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// gitSource returns the commit checked out in dir and its origin URL, or
// empty strings when dir is not in a git checkout (or git is absent).
// A checkout with uncommitted changes gives no commit: it would not
// describe the sources.
func gitSource(ctx context.Context, dir string) (commit, remote string) {
	git := func(args ...string) string {
		out, err := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...).Output()
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(out))
	}
	commit = git("rev-parse", "--verify", "HEAD")
	if commit == "" || git("status", "--porcelain", "--untracked-files=no") != "" {
		return "", ""
	}
	return commit, redactURL(git("config", "--get", "remote.origin.url"))
}

// redactURL drops credentials from a remote URL (https://user:token@host/…),
// and its query and fragment. A remote it cannot make safe is not recorded
// (""): one that does not parse as a URL (a token holding a / or a bad %
// escape, https://oauth2:a/b@host/…, was recorded whole), or that still
// holds an @ once the user part is dropped (user:token@host:path, read as
// an opaque URL). An scp-like user@host:path has no password and stays.
func redactURL(s string) string {
	if m := scpLike.FindStringSubmatch(s); m != nil && !strings.Contains(s, "://") && !strings.Contains(m[3], "@") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	if out := u.String(); !strings.ContainsAny(out, "@?#") {
		return out
	}
	return ""
}
