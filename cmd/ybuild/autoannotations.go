package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/spec"
)

// autoValue is the annotation value that asks ybuild to fill it in.
const autoValue = "auto"

// dirtySuffix marks a revision built from a work tree with uncommitted
// changes to tracked files.
const dirtySuffix = "-dirty"

// checkout is what the annotations source and revision say.
type checkout struct {
	source, revision string
	// sourceErr is why the origin URL cannot be the source.
	sourceErr error
}

// fillAutoAnnotations replaces the value auto of the annotations
// org.opencontainers.image.source and .revision with the repository URL and
// commit of the git checkout holding the spec (revision gains -dirty when a
// tracked file has uncommitted changes), else with the CI variables
// (GITHUB_SERVER_URL/GITHUB_REPOSITORY/GITHUB_SHA, CI_PROJECT_URL/
// CI_COMMIT_SHA). Outside a checkout and CI it is a spec error (exit 2).
func fillAutoAnnotations(b *spec.Build) error {
	keys := []string{ocispec.AnnotationSource, ocispec.AnnotationRevision}
	var want []string
	for _, k := range keys {
		if b.Annotations[k] == autoValue {
			want = append(want, k)
		}
	}
	if len(want) == 0 {
		return nil
	}
	co, err := findCheckout(b.Dir)
	if err != nil {
		return autoError(b, want[0], err)
	}
	for _, k := range want {
		v := co.source
		if k == ocispec.AnnotationRevision {
			v = co.revision
		} else if co.sourceErr != nil {
			return autoError(b, k, co.sourceErr)
		}
		if v == "" {
			return autoError(b, k, errors.New("the checkout has no remote named origin (git remote add origin URL) and no CI variable names the repository"))
		}
		b.Annotations[k] = v
	}
	return nil
}

// autoError is a spec error at annotation k.
func autoError(b *spec.Build, k string, err error) error {
	path := `annotations["` + k + `"]`
	pos, _ := b.Position(path)
	return &spec.Error{File: b.File, Pos: pos, Path: path, Msg: "auto: " + err.Error(), Err: err}
}

// findCheckout reads the git checkout holding dir, else the CI variables.
func findCheckout(dir string) (checkout, error) {
	co, gitErr := gitCheckout(dir)
	if gitErr == nil {
		if co.source == "" && co.sourceErr == nil {
			co.source, co.sourceErr = ciCheckout().source, ciCheckout().sourceErr
		}
		return co, nil
	}
	if ci := ciCheckout(); ci.revision != "" {
		return ci, nil
	}
	return checkout{}, gitErr
}

// ciCheckout reads GitHub Actions' and GitLab CI's variables.
func ciCheckout() checkout {
	if sha := os.Getenv("GITHUB_SHA"); sha != "" {
		co := checkout{revision: sha}
		if srv, repo := os.Getenv("GITHUB_SERVER_URL"), os.Getenv("GITHUB_REPOSITORY"); srv != "" && repo != "" {
			co.source = strings.TrimSuffix(srv, "/") + "/" + repo
		}
		return co
	}
	if sha := os.Getenv("CI_COMMIT_SHA"); sha != "" {
		src, err := cleanRemote(os.Getenv("CI_PROJECT_URL"))
		return checkout{revision: sha, source: src, sourceErr: err}
	}
	return checkout{}
}

// gitCheckout asks git for HEAD, the origin URL and whether tracked files
// changed. Untracked files (build outputs) do not make a tree dirty.
func gitCheckout(dir string) (checkout, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return checkout{}, fmt.Errorf("git is not installed and no CI variable (GITHUB_SHA, CI_COMMIT_SHA) is set")
	}
	head, err := git(dir, "rev-parse", "--verify", "HEAD")
	if err != nil {
		return checkout{}, fmt.Errorf("%s is not in a git checkout with a commit, and no CI variable (GITHUB_SHA, CI_COMMIT_SHA) is set", dir)
	}
	co := checkout{revision: head}
	status, err := git(dir, "status", "--porcelain", "--untracked-files=no")
	if err != nil {
		return checkout{}, fmt.Errorf("git status: %w", err)
	}
	if status != "" {
		co.revision += dirtySuffix
	}
	if remote, err := git(dir, "remote", "get-url", "origin"); err == nil {
		co.source, co.sourceErr = cleanRemote(remote)
	}
	return co, nil
}

// git runs git -C dir args and returns its trimmed output.
func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0", "LC_ALL=C")
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %s", strings.Join(args, " "), strings.TrimSpace(errOut.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

var scpLike = regexp.MustCompile(`^([A-Za-z0-9._-]+@)?([A-Za-z0-9.-]+):([^/].*)$`)

// errRemote is why a remote URL cannot be recorded; it never repeats the
// URL, which may hold a secret.
var errRemote = errors.New("the origin URL cannot be recorded without risking a credential " +
	"(it does not parse as a URL, or keeps an @, a query or a fragment once user:password@ is dropped): " +
	"set the annotation to the repository's URL")

// cleanRemote turns a git remote into a browsable URL without credentials:
// git@host:org/repo.git → https://host/org/repo; user:token@, a query and
// a fragment are dropped; a trailing .git is dropped. A remote that does
// not parse, or still holds an @ (a password with an unescaped / or @),
// is errRemote: it might put a secret in the image.
func cleanRemote(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if m := scpLike.FindStringSubmatch(s); m != nil && !strings.Contains(s, "://") {
		s = "https://" + m[2] + "/" + m[3]
	}
	if u, err := url.Parse(s); err == nil && u.Scheme != "" {
		u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
		if u.Scheme == "ssh" || u.Scheme == "git" {
			u.Scheme = "https"
			u.Host = u.Hostname()
		}
		s = u.String()
	} else if strings.Contains(s, "://") {
		return "", errRemote
	}
	if strings.ContainsAny(s, "@?#") {
		return "", errRemote
	}
	return strings.TrimSuffix(strings.TrimSuffix(s, "/"), ".git"), nil
}
