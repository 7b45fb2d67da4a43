package assemble

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io/fs"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
)

// This file computes the layer cache's keys: everything a layer's bytes
// depend on, and the identity of its source files.

// layerCacheVersion changes whenever the bytes writeLayer produces for the
// same entries change; it is part of every key.
const layerCacheVersion = "ybuild layer cache v1"

// keys returns the two cache keys of a layer made of es: key adds each
// source file's path and identity, so it matches only the very same files
// unchanged; shape leaves them out, so it matches the same layer from
// another checkout or after a touch, to be confirmed by the DiffID. ok is
// false when a source has no identity (see fileIdentity).
func (c *layerCache) keys(es []entry, env layerEnv, mediaType string) (key, shape string, ok bool) {
	kh, sh := sha256.New(), sha256.New()
	both := func(ss ...string) { field(kh, ss...); field(sh, ss...) }
	both(layerCacheVersion, toolVersions(), mediaType, string(env.compression), string(env.format))
	for i := range es {
		e := &es[i]
		both(e.name, string(e.kind), fmt.Sprint(e.mode, e.uid, e.gid, e.mtime.UnixNano(), e.size),
			e.linkname, fmt.Sprint(e.devmajor, e.devminor))
		if e.content != nil {
			both("content", *e.content)
		}
		if e.src != "" {
			if e.srcID == "" {
				return "", "", false
			}
			field(kh, "src", e.src, e.srcID, e.linkKey)
		}
	}
	return hex.EncodeToString(kh.Sum(nil)), hex.EncodeToString(sh.Sum(nil)), true
}

// field writes length-prefixed strings, so no two field lists collide.
func field(h hash.Hash, ss ...string) {
	for _, s := range ss {
		fmt.Fprintf(h, "%d:%s", len(s), s)
	}
}

// toolVersions names the module versions that decide layer bytes.
var toolVersions = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	var out []string
	for _, d := range bi.Deps {
		if strings.HasPrefix(d.Path, "github.com/klauspost/") {
			out = append(out, d.Path+"@"+d.Version)
		}
	}
	return bi.GoVersion + " " + strings.Join(out, " ")
})

// fileIdentity identifies the content of the file fi describes without
// reading it: any write changes its ctime. It is empty when fi carries no
// stat data.
func fileIdentity(fi fs.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	mtime, ctime := statTimes(st)
	return fmt.Sprint(st.Dev, st.Ino, st.Size, mtime, ctime, uint32(st.Mode))
}
