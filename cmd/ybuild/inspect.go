package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"

	"github.com/ybuild/ybuild/resolve"
)

// inspection is the --json shape of `ybuild inspect`.
type inspection struct {
	Ref       string            `json:"ref"`
	Digest    digest.Digest     `json:"digest"`
	Index     bool              `json:"index"`
	Manifests []inspectManifest `json:"manifests"`
	// Attached lists the SBOMs, provenance, signatures and attestations.
	Attached []attached `json:"attached,omitempty"`
}

// inspectManifest is one platform's manifest in an inspection.
type inspectManifest struct {
	Platform    string               `json:"platform"`
	Digest      digest.Digest        `json:"digest"`
	MediaType   string               `json:"mediaType"`
	Annotations map[string]string    `json:"annotations,omitempty"`
	Layers      []ocispec.Descriptor `json:"layers"`
	Config      json.RawMessage      `json:"config"`
}

// newInspectCmd shows the manifest, platforms, layers and config of an image.
func newInspectCmd(stdout io.Writer) *cobra.Command {
	var asJSON bool
	reg := &registryFlags{}
	cmd := &cobra.Command{
		Use:     "inspect DEST",
		Short:   "Show an image's manifest, platforms, layers and config",
		Example: "  ybuild inspect oci:build/hello\n  ybuild inspect --json docker-archive:build/hello.tar",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cwd, err := os.Getwd()
			if err != nil {
				return err
			}
			base, err := resolve.Open(cmd.Context(), args[0], resolve.Options{Dir: cwd, AllPlatforms: true, Registry: reg.options(), CacheDir: reg.cache()})
			if err != nil {
				return fmt.Errorf("inspect %s: %w", args[0], err)
			}
			in := newInspection(args[0], base)
			if in.Attached, err = findAttached(cmd.Context(), args[0], base, reg.options(), subjectsOf(base), false); err != nil {
				return fmt.Errorf("inspect %s: attachments: %w", args[0], err)
			}
			if asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				return enc.Encode(in)
			}
			return printInspection(stdout, in)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	addRegistryFlags(cmd.Flags(), reg)
	return cmd
}

// newInspection collects what inspect shows from a resolved image.
func newInspection(ref string, b *resolve.Base) inspection {
	in := inspection{Ref: ref, Digest: b.Digest, Index: b.IsIndex}
	for _, im := range b.Images {
		layers := im.Manifest.Layers
		if layers == nil {
			layers = []ocispec.Descriptor{}
		}
		in.Manifests = append(in.Manifests, inspectManifest{
			Platform:    platforms.Format(im.Platform),
			Digest:      im.Desc.Digest,
			MediaType:   im.Desc.MediaType,
			Annotations: im.Manifest.Annotations,
			Layers:      layers,
			Config:      json.RawMessage(im.Config),
		})
	}
	return in
}

// printInspection writes a human-readable summary.
func printInspection(w io.Writer, in inspection) error {
	kind := "manifest"
	if in.Index {
		kind = "index"
	}
	fmt.Fprintf(w, "%s\n  %s %s\n", in.Ref, kind, in.Digest)
	for _, m := range in.Manifests {
		fmt.Fprintf(w, "\n%s  %s\n", m.Platform, m.Digest)
		printAnnotations(w, m.Annotations)
		fmt.Fprintf(w, "  layers:\n")
		for _, l := range m.Layers {
			fmt.Fprintf(w, "    %s  %9s  %s\n", l.Digest, humanBytes(l.Size), l.MediaType)
		}
		printConfig(w, m.Config)
	}
	printAttached(w, in.Attached)
	return nil
}

// printAnnotations writes annotations sorted by key.
func printAnnotations(w io.Writer, a map[string]string) {
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %s=%s\n", k, a[k])
	}
}

// printConfig writes the runtime config fields people look for.
func printConfig(w io.Writer, raw []byte) {
	var img ocispec.Image
	if err := json.Unmarshal(raw, &img); err != nil {
		fmt.Fprintf(w, "  config: unreadable: %v\n", err)
		return
	}
	c := img.Config
	fmt.Fprintf(w, "  created: %v\n", img.Created)
	field := func(name string, v any, empty bool) {
		if !empty {
			b, _ := json.Marshal(v)
			fmt.Fprintf(w, "  %s: %s\n", name, b)
		}
	}
	field("entrypoint", c.Entrypoint, c.Entrypoint == nil)
	field("cmd", c.Cmd, c.Cmd == nil)
	field("env", c.Env, len(c.Env) == 0)
	field("workdir", c.WorkingDir, c.WorkingDir == "")
	field("user", c.User, c.User == "")
	field("ports", c.ExposedPorts, len(c.ExposedPorts) == 0)
	field("volumes", c.Volumes, len(c.Volumes) == 0)
	field("labels", c.Labels, len(c.Labels) == 0)
	field("stopSignal", c.StopSignal, c.StopSignal == "")
}
