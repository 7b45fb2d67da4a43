package assemble

import (
	"archive/tar"
	"fmt"
	"strings"
	"time"
)

// whiteoutPrefix marks a deleted path; opaqueMarker makes a directory opaque.
const (
	whiteoutPrefix = ".wh."
	opaqueMarker   = ".wh..wh..opq"
)

// header builds the tar header of e. It is the only place in ybuild that
// makes a layer header, so every entry gets the same treatment: PAX format,
// numeric owner from the spec, empty Uname/Gname, whole-second UTC mtime,
// no atime/ctime, an explicit typeflag. Nothing comes from the host: the
// mode was computed from the spec, never from the umask or the checkout.
func header(e *entry) *tar.Header {
	h := &tar.Header{
		Typeflag: e.kind,
		Name:     e.name,
		Mode:     int64(e.mode & 0o7777),
		Uid:      e.uid,
		Gid:      e.gid,
		ModTime:  e.mtime.UTC().Truncate(time.Second),
		Format:   tar.FormatPAX,
	}
	switch e.kind {
	case tar.TypeDir:
		h.Name += "/"
	case tar.TypeReg:
		h.Size = e.size
	case tar.TypeSymlink, tar.TypeLink:
		h.Linkname = e.linkname
	case tar.TypeChar, tar.TypeBlock:
		h.Devmajor, h.Devminor = e.devmajor, e.devminor
	}
	return h
}

// normalise turns a destination or archive name into a layer entry name:
// relative, cleaned, without a leading "/" or "./" and without a trailing
// "/" (header adds one to directories). The root becomes "". It rejects
// ".." anywhere (never resolved lexically), NUL bytes and components that
// start with ".wh.", which only whiteouts may use.
func normalise(p string) (string, error) {
	if strings.IndexByte(p, 0) >= 0 {
		return "", fmt.Errorf("normalise %q: NUL byte: %w", p, ErrInvalidPath)
	}
	parts := strings.Split(p, "/")
	out := parts[:0]
	for _, c := range parts {
		switch {
		case c == "" || c == ".":
			continue
		case c == "..":
			return "", fmt.Errorf("normalise %q: \"..\" not allowed: %w", p, ErrInvalidPath)
		case strings.HasPrefix(c, whiteoutPrefix):
			return "", fmt.Errorf("normalise %q: names starting %q are reserved for whiteouts: %w", p, whiteoutPrefix, ErrInvalidPath)
		}
		out = append(out, c)
	}
	return strings.Join(out, "/"), nil
}

// join joins an entry name (possibly "" for the root) and a relative name.
func join(dir, name string) string {
	switch {
	case dir == "":
		return name
	case name == "":
		return dir
	}
	return dir + "/" + name
}

// parent returns the name of the directory holding name ("" for the root).
func parent(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[:i]
	}
	return ""
}

// base returns the last component of name.
func base(name string) string {
	return name[strings.LastIndexByte(name, '/')+1:]
}
