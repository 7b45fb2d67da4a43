package assemble

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// openBeneath opens the regular file rel below the directory dir (the
// spec directory, also open as root) for reading. On Linux 5.6+ it is one
// openat2 with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS: no component may be a
// symlink, none may leave dir. Where openat2 is missing or filtered it
// falls back to root, which never leaves dir but follows symlinks inside
// it; the caller's identity check then catches a swapped file.
func openBeneath(dir *os.File, root *os.Root, rel string) (*os.File, error) {
	how := unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	for range 8 { // EAGAIN: a rename raced the lookup
		fd, err := unix.Openat2(int(dir.Fd()), rel, &how)
		switch {
		case err == nil:
			return os.NewFile(uintptr(fd), rel), nil
		case errors.Is(err, unix.EINTR), errors.Is(err, unix.EAGAIN):
			continue
		case errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EPERM):
			return openInRoot(root, rel)
		default:
			return nil, &os.PathError{Op: "openat2", Path: rel, Err: err}
		}
	}
	return nil, &os.PathError{Op: "openat2", Path: rel, Err: unix.EAGAIN}
}
