package spec

import (
	_ "crypto/sha256" // digest references need sha256 registered
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/location"
)

// checkBase checks the base: scratch, a local transport, or a registry
// reference, with or without docker://.
func checkBase(s string) error {
	_, err := location.Parse(s, location.Base)
	return err
}

// CheckTag checks an image tag as the spec's tags and -t take it: a
// reference with a tag and no digest (app:1, reg.example.com/app:1).
func CheckTag(s string) error {
	ref, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return fmt.Errorf("invalid image reference %q: %w", s, err)
	}
	if _, ok := ref.(reference.Digested); ok {
		return fmt.Errorf("must not have a digest, got %q", s)
	}
	if _, ok := ref.(reference.Tagged); !ok {
		return fmt.Errorf("must have a tag (name:tag), got %q", s)
	}
	return nil
}

// checkOutput checks an output destination's transport and path.
func checkOutput(s string) error {
	_, err := location.Parse(s, location.Output)
	return err
}

// checkPlatform parses os/arch[/variant] and returns its normal form.
func checkPlatform(s string) (string, error) {
	if n := strings.Count(s, "/"); n < 1 || n > 2 {
		return "", fmt.Errorf("must be os/arch[/variant] or \"all\", got %q", s)
	}
	p, err := ParsePlatform(s)
	if err != nil {
		return "", err
	}
	return platforms.Format(p), nil
}

// ParsePlatform parses a platform as the spec's platforms list takes it,
// os/arch[/variant] with a known operating system and architecture, and
// returns it normalised (linux/aarch64 is linux/arm64). A bare "linux" or
// "arm64" is refused: containerd would complete it with the host's
// architecture or operating system, and the host never picks the image.
func ParsePlatform(s string) (ocispec.Platform, error) {
	if n := strings.Count(s, "/"); n < 1 || n > 2 || slices.Contains(strings.Split(s, "/"), "") {
		return ocispec.Platform{}, fmt.Errorf("must be os/arch[/variant] (such as linux/arm64), got %q", s)
	}
	p, err := platforms.Parse(s)
	if err != nil {
		return ocispec.Platform{}, fmt.Errorf("invalid platform %q", s)
	}
	if !knownOS[p.OS] {
		return ocispec.Platform{}, fmt.Errorf("unknown operating system %q in %q", p.OS, s)
	}
	if !knownArch[p.Architecture] {
		return ocispec.Platform{}, fmt.Errorf("unknown architecture %q in %q", p.Architecture, s)
	}
	return p, nil
}

// knownOS and knownArch are the values containerd's platforms package
// knows.
var (
	knownOS   = setOf("aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js", "linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos")
	knownArch = setOf("386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "ppc64", "ppc64le", "loong64", "mips", "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "riscv", "riscv64", "s390", "s390x", "sparc", "sparc64", "wasm")
)

// setOf makes a set of strings.
func setOf(s ...string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, v := range s {
		m[v] = true
	}
	return m
}

var nameComponent = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)

// checkName checks the image name: one lowercase reference path component.
func checkName(s string) error {
	if !nameComponent.MatchString(s) {
		return fmt.Errorf("must be lowercase letters, digits and separators (., _, -), got %q", s)
	}
	return nil
}

// checkPort checks N, N/tcp, N/udp or N/sctp with N in 1–65535.
func checkPort(s string) error {
	num, proto, hasProto := strings.Cut(s, "/")
	if hasProto && proto != "tcp" && proto != "udp" && proto != "sctp" {
		return fmt.Errorf("protocol must be tcp, udp or sctp, got %q", s)
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || n > 65535 || strings.TrimLeft(num, "0123456789") != "" {
		return fmt.Errorf("must be PORT or PORT/tcp|udp|sctp with PORT in 1-65535, got %q", s)
	}
	return nil
}

var signalNames = setOf("ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT",
	"KILL", "PIPE", "POLL", "PROF", "PWR", "QUIT", "RTMAX", "RTMIN", "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP",
	"TSTP", "TTIN", "TTOU", "URG", "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ")

var rtSignal = regexp.MustCompile(`^SIGRT(MIN\+|MAX-)([0-9]{1,2})$`)

// checkSignal checks SIGNAME, SIGRTMIN+N, SIGRTMAX-N or a signal number.
func checkSignal(s string) error {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > 64 {
			return fmt.Errorf("signal number must be 1-64, got %q", s)
		}
		return nil
	}
	if m := rtSignal.FindStringSubmatch(s); m != nil {
		if n, _ := strconv.Atoi(m[2]); n < 1 || n > 30 {
			return fmt.Errorf("real-time signal offset must be 1-30, got %q", s)
		}
		return nil
	}
	if name, ok := strings.CutPrefix(s, "SIG"); ok && signalNames[name] {
		return nil
	}
	return errors.New("must be a signal name like SIGTERM, SIGRTMIN+N or a number, got " + strconv.Quote(s))
}
