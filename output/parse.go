package output

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Destination prefixes of local outputs, the same transport names as skopeo.
const (
	layoutPrefix        = "oci:"
	ociArchivePrefix    = "oci-archive:"
	dockerArchivePrefix = "docker-archive:"
)

// Parse returns the writer for dest: oci:DIR[:REF], oci-archive:FILE[:REF],
// docker-archive:FILE[:NAME:TAG] or docker://REF. Relative paths are
// relative to opts.Dir.
func Parse(dest string, opts Options) (Writer, error) {
	switch {
	case strings.HasPrefix(dest, registryPrefix):
		return newRegistryWriter(dest, opts)
	case strings.HasPrefix(dest, ociArchivePrefix):
		p, ref, err := localDest(dest, ociArchivePrefix, opts.Dir)
		if err != nil {
			return nil, err
		}
		return &ociArchiveWriter{dest: dest, path: p, ref: ref, opts: opts}, nil
	case strings.HasPrefix(dest, dockerArchivePrefix):
		return newDockerArchiveWriter(dest, opts)
	case strings.HasPrefix(dest, layoutPrefix):
		p, ref, err := localDest(dest, layoutPrefix, opts.Dir)
		if err != nil {
			return nil, err
		}
		return &layoutWriter{dest: dest, dir: p, ref: ref, opts: opts}, nil
	}
	return nil, fmt.Errorf("%q: %w: expected oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE or docker://REF", dest, ErrUsage)
}

// localDest splits PREFIX PATH[:REF] at the first colon, as skopeo does,
// and makes PATH absolute against dir.
func localDest(dest, prefix, dir string) (path, ref string, err error) {
	path, ref, _ = strings.Cut(strings.TrimPrefix(dest, prefix), ":")
	if strings.ContainsAny(ref, "/@") {
		return "", "", fmt.Errorf("%q: %w: the ref after the path may not contain '/' or '@'", dest, ErrUsage)
	}
	path, err = localPath(dest, prefix, path, dir)
	return path, ref, err
}

// localPath makes the PATH of dest absolute against dir; it must not be empty.
func localPath(dest, prefix, path, dir string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("%q: %w: no path after %s", dest, ErrUsage, prefix)
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	return filepath.Clean(path), nil
}
