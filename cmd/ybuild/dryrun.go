package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/imagediff"
	"github.com/ybuild/ybuild/location"
	"github.com/ybuild/ybuild/output"
	"github.com/ybuild/ybuild/registry"
)

// buildPlan is what a dry run would write.
type buildPlan struct {
	// Digest is the top-level digest the build would write.
	Digest digest.Digest `json:"digest"`
	// Outputs has one entry per destination.
	Outputs []outputPlan `json:"outputs"`
}

// outputPlan is one destination's share of a dry run.
type outputPlan struct {
	Dest string `json:"dest"`
	// Write lists the blobs that would be written or uploaded.
	Write []ocispec.Descriptor `json:"write"`
	// Present lists the blobs the destination already has (or, for a
	// registry, could mount from the base's repository).
	Present []ocispec.Descriptor `json:"present"`
	// WriteBytes and PresentBytes sum their sizes.
	WriteBytes   int64 `json:"writeBytes"`
	PresentBytes int64 `json:"presentBytes"`
}

// planOutputs checks, for each destination, which blobs of r.img it already
// has: an existing OCI layout's blob files, a registry's blobs (HEAD
// requests; base layers in the base's repository on the same registry count
// as present, since a push mounts them). Archives are rewritten whole.
func planOutputs(ctx context.Context, r *specResult, writers []output.Writer, reg *registry.Options) (*buildPlan, error) {
	p := &buildPlan{Digest: r.img.Desc.Digest}
	for _, w := range writers {
		has, err := presence(ctx, w, r, reg)
		if err != nil {
			return nil, err
		}
		op := outputPlan{Dest: w.Holds().Dest, Write: []ocispec.Descriptor{}, Present: []ocispec.Descriptor{}}
		for _, d := range r.img.Blobs() {
			d = ocispec.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size}
			present, err := has(d)
			if err != nil {
				return nil, err
			}
			if present {
				op.Present, op.PresentBytes = append(op.Present, d), op.PresentBytes+d.Size
			} else {
				op.Write, op.WriteBytes = append(op.Write, d), op.WriteBytes+d.Size
			}
		}
		p.Outputs = append(p.Outputs, op)
	}
	return p, nil
}

// presence returns a test of whether destination w already holds a blob.
// The test fails when it cannot tell (a registry that refuses access or
// cannot be reached): a blob is absent only when the destination says so.
func presence(ctx context.Context, w output.Writer, r *specResult, reg *registry.Options) (func(ocispec.Descriptor) (bool, error), error) {
	h := w.Holds()
	l, err := location.Parse(h.Dest, location.Output)
	if err != nil {
		return nil, usageError{err}
	}
	switch l.Kind {
	case location.OCI:
		return func(d ocispec.Descriptor) (bool, error) {
			fi, err := os.Stat(filepath.Join(h.Path, "blobs", d.Digest.Algorithm().String(), d.Digest.Encoded()))
			return err == nil && fi.Size() == d.Size, nil
		}, nil
	case location.Registry:
		return registryPresence(ctx, h.Dest, l.Ref, r, reg)
	}
	return func(ocispec.Descriptor) (bool, error) { return false, nil }, nil
}

// registryPresence asks the registry (HEAD) for each blob; base blobs in
// the base's repository on the same registry will be mounted. Only a "not
// found" answer means absent; any other failure (credentials refused, the
// registry unreachable) is the dry run's error, explained as a push's.
func registryPresence(ctx context.Context, dest, ref string, r *specResult, reg *registry.Options) (func(ocispec.Descriptor) (bool, error), error) {
	target, err := registry.ParseReference(ref)
	if err != nil {
		return nil, usageError{fmt.Errorf("%s: %w", dest, err)}
	}
	sess, err := registry.NewSession(ctx, reg, target)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dest, err)
	}
	mountable := map[digest.Digest]bool{}
	if br, err := registry.ParseReference(r.base.Name); err == nil && r.base.Name != "" && br.Domain == target.Domain {
		for _, im := range r.base.Images {
			for _, l := range im.Manifest.Layers {
				mountable[l.Digest] = true
			}
		}
	}
	return func(d ocispec.Descriptor) (bool, error) {
		if mountable[d.Digest] {
			return true, nil
		}
		_, _, err := sess.Resolver.Resolve(ctx, target.WithDigest(d.Digest).String())
		switch {
		case err == nil:
			return true, nil
		case errdefs.IsNotFound(err):
			return false, nil
		}
		return false, fmt.Errorf("%s: dry run: cannot tell whether the registry has blob %s: %w", dest, d.Digest, sess.Explain("push", err))
	}, nil
}

// printPlan writes the plan: per destination, the blobs to write and those
// present, with sizes.
func printPlan(w io.Writer, p *buildPlan, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	}
	ew := &lineWriter{w: w}
	ew.printf("dry run: would build %s (nothing written)\n", p.Digest)
	for _, o := range p.Outputs {
		ew.printf("%s: %d blobs to write (%s), %d already present (%s)\n", o.Dest,
			len(o.Write), imagediff.HumanBytes(o.WriteBytes), len(o.Present), imagediff.HumanBytes(o.PresentBytes))
		for _, d := range o.Write {
			ew.printf("  write    %s %10s  %s\n", d.Digest, imagediff.HumanBytes(d.Size), d.MediaType)
		}
		for _, d := range o.Present {
			ew.printf("  present  %s %10s  %s\n", d.Digest, imagediff.HumanBytes(d.Size), d.MediaType)
		}
	}
	return ew.err
}

// lineWriter keeps the first write error.
type lineWriter struct {
	w   io.Writer
	err error
}

// printf writes unless a write already failed.
func (l *lineWriter) printf(format string, a ...any) {
	if l.err == nil {
		_, l.err = fmt.Fprintf(l.w, format, a...)
	}
}
