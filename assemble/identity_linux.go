package assemble

import (
	"fmt"
	"os"
	"syscall"
)

// fileIdentity identifies the content of the file at path without reading
// it: any write changes its ctime.
func fileIdentity(path string) (string, bool) {
	fi, err := os.Lstat(path)
	if err != nil {
		return "", false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", false
	}
	return fmt.Sprint(st.Dev, st.Ino, st.Size, st.Mtim.Nano(), st.Ctim.Nano(), uint32(st.Mode)), true
}
