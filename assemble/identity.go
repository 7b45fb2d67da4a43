//go:build linux || darwin

package assemble

import (
	"fmt"
	"io/fs"
	"syscall"
)

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
