package assemble

import "os"

// openBeneath opens the regular file rel below the directory dir (the
// spec directory, also open as root) for reading: through root, which
// never leaves dir but follows symlinks inside it; the caller's identity
// check then catches a swapped file. (Linux uses openat2, open_linux.go.)
func openBeneath(_ *os.File, root *os.Root, rel string) (*os.File, error) {
	return openInRoot(root, rel)
}
