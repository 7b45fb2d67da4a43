package testbase

import (
	"os"
	"testing"
)

// BusyboxPath is where Debian's busybox-static installs the binary.
const BusyboxPath = "/bin/busybox"

// Busybox returns the path of a static busybox binary. It skips the test
// when there is none, or fails it when YBUILD_E2E=required.
func Busybox(t testing.TB) string {
	t.Helper()
	fi, err := os.Stat(BusyboxPath)
	if err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
		return BusyboxPath
	}
	msg := BusyboxPath + " not found (apt-get install busybox-static)"
	if err != nil {
		msg = BusyboxPath + ": " + err.Error() + " (apt-get install busybox-static)"
	}
	if os.Getenv("YBUILD_E2E") == "required" {
		t.Fatalf("YBUILD_E2E=required: %s", msg)
	}
	t.Skip(msg)
	return ""
}
