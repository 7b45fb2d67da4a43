//go:build linux || darwin

package trust

import (
	"io/fs"
	"syscall"
)

// identityOf returns what identifies fi's content without reading it:
// device, inode, size, mtime and ctime. Any write to the file, and any
// chmod, link or rename of it, changes its ctime. ok is false when fi
// carries no stat data.
func identityOf(fi fs.FileInfo) (Identity, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || !fi.Mode().IsRegular() {
		return Identity{}, false
	}
	mtime, ctime := statTimes(st)
	return Identity{Dev: uint64(st.Dev), Ino: uint64(st.Ino), Size: st.Size, Mtime: mtime, Ctime: ctime}, true
}
