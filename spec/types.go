package spec

// APIVersion is the only apiVersion this package accepts.
const APIVersion = "ybuild/v1"

// Build is one build.yaml document: a base image, layers of files and config
// overrides. Field comments become the JSON Schema descriptions.
type Build struct {
	// APIVersion must be "ybuild/v1".
	APIVersion string `yaml:"apiVersion" json:"apiVersion"`
	// Name names the default output (build/NAME next to the spec). The default is the spec directory's name.
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// Base is the image to start from, an image location: scratch, oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE[:NAME:TAG], docker://REF or a registry reference.
	Base string `yaml:"base" json:"base"`
	// Platforms selects platforms of an index base (os/arch[/variant]); "all" takes every platform of the base index.
	Platforms StringList `yaml:"platforms,omitempty" json:"platforms,omitempty"`
	// Args are substituted for ${NAME} anywhere in the spec; --arg NAME=VALUE overrides them.
	Args map[string]string `yaml:"args,omitempty" json:"args,omitempty"`
	// Created is the image creation time: RFC 3339, or "now". The default is SOURCE_DATE_EPOCH, else the Unix epoch.
	Created string `yaml:"created,omitempty" json:"created,omitempty"`
	// Defaults are the attributes of every entry unless a layer or an entry overrides them.
	Defaults Attrs `yaml:"defaults,omitempty" json:"defaults,omitempty"`
	// Layers are added bottom to top, one image layer each.
	Layers []Layer `yaml:"layers,omitempty" json:"layers,omitempty"`
	// Files is shorthand for one more layer holding these entries, on top of any layers.
	Files []File `yaml:"files,omitempty" json:"files,omitempty"`
	// Config overrides the base image's config, merged like a Dockerfile.
	Config Config `yaml:"config,omitempty" json:"config,omitempty"`
	// Annotations are added to every image manifest (and the index). The value auto of org.opencontainers.image.source and org.opencontainers.image.revision is filled in from the git checkout (or CI variables).
	Annotations map[string]string `yaml:"annotations,omitempty" json:"annotations,omitempty"`
	// Format is the manifest format: oci (the default) or docker (schema2 media types).
	Format Format `yaml:"format,omitempty" json:"format,omitempty"`
	// Compression is the compression of new layers: gzip (the default), zstd or none.
	Compression Compression `yaml:"compression,omitempty" json:"compression,omitempty"`
	// Tags name the image in outputs (docker-archive RepoTags, registry pushes).
	Tags []string `yaml:"tags,omitempty" json:"tags,omitempty"`
	// SBOM attaches an SPDX 2.3 SBOM to every platform manifest (a referrer, not part of the image). The default is true; --sbom overrides it.
	SBOM *bool `yaml:"sbom,omitempty" json:"sbom,omitempty"`
	// Provenance attaches a SLSA v1.0 provenance statement to the image (a referrer, not part of the image). The default is true; --provenance overrides it.
	Provenance *bool `yaml:"provenance,omitempty" json:"provenance,omitempty"`
	// Outputs are where the image goes, image locations: oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE[:NAME:TAG], docker://REF. Relative paths are relative to the spec's directory.
	Outputs []string `yaml:"outputs,omitempty" json:"outputs,omitempty"`

	// Dir is the absolute directory holding the spec; src paths are relative to it.
	Dir string `yaml:"-" json:"-"`
	// File is the spec's path as given, used in error messages.
	File string `yaml:"-" json:"-"`

	// notes holds, per field path (layers[1].files[0].dst), its place in
	// the file and what Load learned about it (deferred TARGET* values,
	// inherited attributes, fields that failed to decode).
	notes notes
	// meta is what Load learned about the whole spec: args, folding; nil
	// for a Build that Load did not make.
	meta *meta
}

// Attrs are the entry attributes that cascade from defaults to a layer to an entry.
type Attrs struct {
	// Owner is the numeric "uid:gid" of entries. The default is "0:0".
	Owner string `yaml:"owner,omitempty" json:"owner,omitempty"`
	// FileMode is the octal mode of regular files, as a string ("0644"). Sources with an executable bit get x where r is set. The default is "0644".
	FileMode string `yaml:"fileMode,omitempty" json:"fileMode,omitempty"`
	// DirMode is the octal mode of directories, as a string. The default is "0755".
	DirMode string `yaml:"dirMode,omitempty" json:"dirMode,omitempty"`
	// Mtime is "created" (the image's created time, the default), "preserve" (the source's mtime) or an RFC 3339 time.
	Mtime string `yaml:"mtime,omitempty" json:"mtime,omitempty"`
}

// Layer is one image layer.
type Layer struct {
	// Name names the layer in the image history.
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// Attrs override the defaults for this layer's entries.
	Attrs `yaml:",inline" json:",inline"`
	// Files are the entries of this layer.
	Files []File `yaml:"files,omitempty" json:"files,omitempty"`
	// Delete lists absolute paths of base files to remove (whiteouts).
	Delete []string `yaml:"delete,omitempty" json:"delete,omitempty"`
	// Replace lists absolute directories whose base contents are dropped (opaque directories).
	Replace []string `yaml:"replace,omitempty" json:"replace,omitempty"`
}

// File is one entry: exactly one of src, content, symlink or dir: true.
type File struct {
	// Src is a file, directory or glob relative to the spec's directory.
	Src string `yaml:"src,omitempty" json:"src,omitempty"`
	// Dst is the absolute path in the image. A trailing / means "into this directory".
	Dst string `yaml:"dst" json:"dst"`
	// Content is the inline content of a regular file at dst.
	Content *string `yaml:"content,omitempty" json:"content,omitempty"`
	// Symlink makes dst a symbolic link to this target.
	Symlink string `yaml:"symlink,omitempty" json:"symlink,omitempty"`
	// Dir makes dst an (empty) directory.
	Dir bool `yaml:"dir,omitempty" json:"dir,omitempty"`
	// Extract unpacks the src archive (tar, tar.gz, tar.zst, tar.xz) into dst.
	Extract bool `yaml:"extract,omitempty" json:"extract,omitempty"`
	// Exclude lists glob patterns (** allowed), relative to src, of files not to copy.
	Exclude []string `yaml:"exclude,omitempty" json:"exclude,omitempty"`
	// Limits bound what extract unpacks; unset fields keep the defaults (4GiB, 1000000 entries).
	Limits *ExtractLimits `yaml:"limits,omitempty" json:"limits,omitempty"`
	// AllowDevices lets extract copy device nodes and FIFOs from the archive (refused by default).
	AllowDevices bool `yaml:"allowDevices,omitempty" json:"allowDevices,omitempty"`
	// Mode is the octal mode of the entry's files (or of the directory with dir: true), overriding the exec-bit rule.
	Mode string `yaml:"mode,omitempty" json:"mode,omitempty"`
	// Attrs override the layer's for this entry.
	Attrs `yaml:",inline" json:",inline"`
}

// Config holds the image config overrides. Unset fields keep the base's value.
type Config struct {
	// Entrypoint replaces the base's; setting it without cmd clears the base's cmd.
	Entrypoint *StringList `yaml:"entrypoint,omitempty" json:"entrypoint,omitempty"`
	// Cmd replaces the base's.
	Cmd *StringList `yaml:"cmd,omitempty" json:"cmd,omitempty"`
	// Env sets variables in order: existing keys are replaced in place, new ones appended, null removes. $NAME expands against the image's environment.
	Env NullableMap `yaml:"env,omitempty" json:"env,omitempty"`
	// Workdir is the working directory.
	Workdir string `yaml:"workdir,omitempty" json:"workdir,omitempty"`
	// User is user|uid[:group|gid].
	User string `yaml:"user,omitempty" json:"user,omitempty"`
	// Ports are added to the base's exposed ports: "8080", "8080/tcp", "53/udp".
	Ports []string `yaml:"ports,omitempty" json:"ports,omitempty"`
	// Volumes are added to the base's volumes.
	Volumes []string `yaml:"volumes,omitempty" json:"volumes,omitempty"`
	// Labels are set on the config; null removes a base label.
	Labels NullableMap `yaml:"labels,omitempty" json:"labels,omitempty"`
	// StopSignal is the signal that stops the container, e.g. SIGTERM.
	StopSignal string `yaml:"stopSignal,omitempty" json:"stopSignal,omitempty"`
}

// Format is the manifest format of the output image.
type Format string

// The output formats.
const (
	FormatOCI    Format = "oci"
	FormatDocker Format = "docker"
)

// Compression is the compression of new layers.
type Compression string

// The layer compressions.
const (
	CompressionGzip Compression = "gzip"
	CompressionZstd Compression = "zstd"
	CompressionNone Compression = "none"
)

// Pos is a place in the spec file.
type Pos struct {
	// Line and Column are 1-based; zero means unknown.
	Line, Column int
}
