package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/depfile"
	"github.com/ybuild/ybuild/internal/blobfile"
	"github.com/ybuild/ybuild/lock"
	"github.com/ybuild/ybuild/spec"
)

// metadataVersion is the version of the --metadata-file schema.
const metadataVersion = 1

// metadata is the --metadata-file document (docs/cli.md describes it).
type metadata struct {
	SchemaVersion int             `json:"schemaVersion"`
	Error         string          `json:"error,omitempty"`
	Builds        []buildMetadata `json:"builds"`
}

// buildMetadata is one spec's build.
type buildMetadata struct {
	Spec      string             `json:"spec"`
	Name      string             `json:"name,omitempty"`
	Error     string             `json:"error,omitempty"`
	Digest    digest.Digest      `json:"digest,omitempty"`
	MediaType string             `json:"mediaType,omitempty"`
	Base      *baseMetadata      `json:"base,omitempty"`
	Tags      []string           `json:"tags"`
	Platforms []platformMetadata `json:"platforms"`
	Outputs   []outputMetadata   `json:"outputs"`
}

// baseMetadata is the base a build started from.
type baseMetadata struct {
	Ref      string        `json:"ref"`
	Digest   digest.Digest `json:"digest,omitempty"`
	Lockfile string        `json:"lockfile,omitempty"`
}

// platformMetadata is one platform's manifest.
type platformMetadata struct {
	Platform string               `json:"platform"`
	Digest   digest.Digest        `json:"digest"`
	Config   ocispec.Descriptor   `json:"config"`
	Layers   []ocispec.Descriptor `json:"layers"`
}

// writeSideFiles writes --metadata-file (also when the build failed part
// way, with the error; not when a usage error stopped a single spec before
// anything was built) and --depfile (only when every build succeeded);
// neither for a dry run.
func writeSideFiles(o *buildOptions, rs []*specResult, buildErr error) error {
	if o.flow.dryRun {
		return nil // a dry run writes nothing
	}
	if o.flow.metadataFile != "" && !(len(rs) == 1 && buildErr != nil && exitCode(buildErr) == exitUsage) {
		data, err := json.MarshalIndent(newMetadata(rs, buildErr), "", "  ")
		if err != nil {
			return err
		}
		if err := writeAtomic(o.flow.metadataFile, append(data, '\n')); err != nil {
			return fmt.Errorf("--metadata-file: %w", err)
		}
	}
	if o.flow.depfile != "" && buildErr == nil {
		if err := writeDepfile(o, rs); err != nil {
			return fmt.Errorf("--depfile: %w", err)
		}
	}
	return nil
}

// newMetadata describes the builds.
func newMetadata(rs []*specResult, buildErr error) metadata {
	m := metadata{SchemaVersion: metadataVersion, Builds: []buildMetadata{}}
	if buildErr != nil {
		m.Error = buildErr.Error()
	}
	for _, r := range rs {
		m.Builds = append(m.Builds, r.metadata())
	}
	return m
}

// metadata describes one spec's build, as far as it got.
func (r *specResult) metadata() buildMetadata {
	bm := buildMetadata{Spec: r.file, Tags: []string{}, Platforms: []platformMetadata{}, Outputs: outputsMetadata(r.results, r.attached)}
	if r.err != nil {
		bm.Error = r.err.Error()
	}
	if r.spec != nil {
		bm.Name, bm.Tags = r.spec.Name, append(bm.Tags, r.spec.Tags...)
	}
	if r.base != nil {
		bm.Base = &baseMetadata{Ref: r.base.Name, Digest: r.base.Digest}
		if bm.Base.Ref == "" {
			bm.Base.Ref = r.spec.Base // scratch
		}
		if r.pin != nil {
			bm.Base.Lockfile = lock.Path(r.file)
		}
	}
	if r.img != nil {
		bm.Digest, bm.MediaType = r.img.Desc.Digest, r.img.Desc.MediaType
		for _, im := range r.img.Manifests {
			pm := platformMetadata{Digest: im.Desc.Digest, Config: im.Config, Layers: im.Layers}
			if im.Desc.Platform != nil {
				pm.Platform = platformName(*im.Desc.Platform)
			}
			bm.Platforms = append(bm.Platforms, pm)
		}
	}
	return bm
}

// writeDepfile writes the Makefile rule: the target (--metadata-file, else
// the first local output) depends on each spec, its lockfile and sources.
func writeDepfile(o *buildOptions, rs []*specResult) error {
	target := o.flow.metadataFile
	var prereqs []string
	for _, r := range rs {
		if target == "" {
			target = firstLocalOutput(r)
		}
		prereqs = append(prereqs, r.inputs...)
	}
	if target == "" {
		return usageError{errNoDepTarget}
	}
	var buf bytes.Buffer
	if err := depfile.Write(&buf, target, relPaths(prereqs)); err != nil {
		return err
	}
	return writeAtomic(o.flow.depfile, buf.Bytes())
}

// errNoDepTarget is --depfile with nothing to name as the rule's target.
var errNoDepTarget = errors.New("no target: pass --metadata-file or write a local output (oci:, oci-archive:, docker-archive:)")

// checkDepTarget refuses --depfile without a target (no --metadata-file,
// no local output in any spec) before anything is built or pushed.
func checkDepTarget(o *buildOptions, builds []*spec.Build, env *buildEnv) error {
	if o.flow.depfile == "" || o.flow.metadataFile != "" || o.flow.dryRun {
		return nil
	}
	for _, b := range builds {
		ws, err := outputWriters(b, o, env.reg, env.prog)
		if err != nil {
			return nil // the build reports it
		}
		for _, w := range ws {
			if w.Holds().Path != "" {
				return nil
			}
		}
	}
	return usageError{fmt.Errorf("--depfile: %w", errNoDepTarget)}
}

// listInputs fills r.inputs for --depfile once the base is resolved, and
// checks that make can read every name back, before any output is written.
func listInputs(o *buildOptions, r *specResult) error {
	if o.flow.depfile == "" || o.flow.dryRun {
		return nil
	}
	in, err := specInputs(r)
	if err == nil {
		r.inputs = relPaths(in)
		err = depfile.Write(io.Discard, "target", r.inputs)
	}
	if err != nil {
		return fmt.Errorf("--depfile: %w", err)
	}
	return nil
}

// specInputs lists what one spec's build read: the spec, its lockfile,
// and the sources of every platform's build.
func specInputs(r *specResult) ([]string, error) {
	out := []string{r.file}
	if _, err := os.Stat(lock.Path(r.file)); err == nil {
		out = append(out, lock.Path(r.file))
	}
	var builds []*spec.Build // per platform: sources may name ${TARGETARCH}
	for _, im := range r.base.Images {
		pb, err := r.spec.ForPlatform(im.Platform)
		if err != nil {
			return nil, err
		}
		builds = append(builds, pb)
	}
	in, err := depfile.Inputs(context.Background(), builds, r.own)
	return append(out, in...), err
}

// firstLocalOutput is the path of r's first local output, as written.
func firstLocalOutput(r *specResult) string {
	if len(r.outPaths) > 0 {
		return relPaths(r.outPaths[:1])[0]
	}
	return ""
}

// relPaths makes absolute paths under the working directory, where make
// runs, relative to it. Paths outside stay absolute: a ../ would be
// resolved from the physical directory, not from a symbolic link in the
// working directory's path. So do names make would not read back as
// relative ones (depfile.RelativeOK: .IGNORE, ~user).
func relPaths(ps []string) []string {
	cwd, _ := os.Getwd()
	out := make([]string, 0, len(ps))
	seen := map[string]bool{}
	for _, p := range ps {
		if filepath.IsAbs(p) && cwd != "" {
			if rel, err := filepath.Rel(cwd, p); err == nil && filepath.IsLocal(rel) && depfile.RelativeOK(rel) {
				p = rel
			}
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// writeAtomic writes data to a temporary file beside path and renames it.
// An existing path that is not a regular file (/dev/stdout, /dev/null, a
// FIFO) is written to, never replaced: renaming over /dev/null as root
// would replace the device.
func writeAtomic(path string, data []byte) error {
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return fmt.Errorf("%s is a directory", path)
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return blobfile.WriteFileAtomic(path, 0o644, data)
}
