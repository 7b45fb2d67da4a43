package main

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/pflag"

	"github.com/ybuild/ybuild/location"
	"github.com/ybuild/ybuild/registry"
)

// registryFlags holds the registry flags (credentials, TLS, cache, push).
type registryFlags struct {
	push     bool
	insecure []string
	caFiles  []string
	hostsDir string
	cacheDir string
	authFile string
	offline  bool
	retries  count
	uploads  count
	idle     idleTimeout
}

// addRegistryFlags registers the flags of registry access on fs, bound to f
// (one f serves both `ybuild` and `ybuild build`).
func addRegistryFlags(fs *pflag.FlagSet, f *registryFlags) {
	fs.StringArrayVar(&f.insecure, "insecure-registry", nil, "registry HOST[:PORT] that may use plain HTTP or unverified TLS (repeatable)")
	fs.StringArrayVar(&f.caFiles, "ca-file", nil, "PEM file of extra CAs to trust for registries (repeatable)")
	fs.Var((*hostsDirFlag)(&f.hostsDir), "hosts-dir", "containerd hosts directory (HOST[:PORT]/hosts.toml) for mirrors and per-host TLS")
	fs.StringVar(&f.cacheDir, "cache-dir", "", "blob cache directory (default $XDG_CACHE_HOME/ybuild, else ~/.cache/ybuild)")
	fs.Var((*authFileFlag)(&f.authFile), "authfile", "credentials file tried first (default $REGISTRY_AUTH_FILE)")
	fs.BoolVar(&f.offline, "offline", false, "use only the blob cache; never contact a registry")
	f.retries = 4
	fs.Var(&f.retries, "retries", "retries of a registry request that failed transiently (429, 5xx, broken connection); 0 for none")
	f.idle = idleTimeout(registry.DefaultIdleTimeout)
	fs.Var(&f.idle, "registry-idle-timeout", "fail a registry transfer after this long without a byte sent or received (it is then retried or resumed); 0 for no limit")
}

// addPushFlags registers the flags that only pushing uses.
func addPushFlags(fs *pflag.FlagSet, f *registryFlags) {
	fs.BoolVar(&f.push, "push", false, "push to every tag of the spec")
	f.uploads = 4
	fs.Var(&f.uploads, "concurrency", "blob uploads (and layers streamed while compressed) in parallel when pushing; 0 for the default")
}

// options builds the registry options from the flags and the environment:
// credential files ($REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json or
// ~/.docker/config.json, $XDG_RUNTIME_DIR/containers/auth.json,
// $XDG_CONFIG_HOME/containers/auth.json). Extra CAs from SSL_CERT_FILE and
// SSL_CERT_DIR are honoured by Go's system pool.
func (f *registryFlags) options() *registry.Options {
	retries := int(min(f.retries, 100))
	if retries == 0 {
		retries = -1 // registry.Options: 0 is the default, negative none
	}
	return &registry.Options{
		AuthFiles:   authFiles(f.authFile),
		Insecure:    f.insecure,
		CAFiles:     f.caFiles,
		HostsDir:    f.hostsDir,
		Offline:     f.offline,
		Retries:     retries,
		Concurrency: int(min(f.uploads, 64)),
		IdleTimeout: f.idle.option(),
	}
}

// count is the value of a flag that counts (--retries, --concurrency,
// --jobs): a whole number, 0 or more.
type count uint

// String returns the number.
func (c *count) String() string { return strconv.FormatUint(uint64(*c), 10) }

// Set parses a whole number, with a message that says so (not strconv's).
func (c *count) Set(s string) error {
	v, err := strconv.ParseUint(s, 10, 31)
	if errors.Is(err, strconv.ErrRange) {
		return fmt.Errorf("must be at most %d, got %s", math.MaxInt32, s)
	}
	if err != nil {
		return fmt.Errorf("expected a whole number, 0 or more, got %q", s)
	}
	*c = count(v)
	return nil
}

// Type names the value in the help.
func (c *count) Type() string { return "uint" }

// authFileFlag is the value of --authfile: a file named on the command line
// must exist (a mistyped path would otherwise be skipped like an absent
// default file, and the push fail later as "unauthorized").
type authFileFlag string

// String returns the path.
func (a *authFileFlag) String() string { return string(*a) }

// Set refuses a path where nothing exists.
func (a *authFileFlag) Set(s string) error {
	if _, err := os.Stat(s); s != "" && errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no such file: %s", s)
	}
	*a = authFileFlag(s)
	return nil
}

// Type names the value in the help.
func (a *authFileFlag) Type() string { return "string" }

// hostsDirFlag is the value of --hosts-dir: a directory that exists (a
// mistyped one would otherwise configure nothing, silently).
type hostsDirFlag string

// String returns the path.
func (h *hostsDirFlag) String() string { return string(*h) }

// Set refuses a path that is not a directory.
func (h *hostsDirFlag) Set(s string) error {
	if s != "" {
		fi, err := os.Stat(s)
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("no such directory: %s", s)
		}
		if err == nil && !fi.IsDir() {
			return fmt.Errorf("not a directory: %s", s)
		}
	}
	*h = hostsDirFlag(s)
	return nil
}

// Type names the value in the help.
func (h *hostsDirFlag) Type() string { return "string" }

// idleTimeout is the value of --registry-idle-timeout: a duration, not
// negative.
type idleTimeout time.Duration

// String returns the duration.
func (d *idleTimeout) String() string { return time.Duration(*d).String() }

// Set parses a duration (30s, 2m) and refuses a negative one.
func (d *idleTimeout) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("expected a duration such as 30s or 2m, got %q", s)
	}
	if v < 0 {
		return fmt.Errorf("must not be negative, got %q", s)
	}
	*d = idleTimeout(v)
	return nil
}

// Type names the value in the help.
func (d *idleTimeout) Type() string { return "duration" }

// option converts the flag for registry.Options: there 0 is the default
// and negative none.
func (d idleTimeout) option() time.Duration {
	if d == 0 {
		return -1
	}
	return time.Duration(d)
}

// cache returns the cache directory: --cache-dir, else the default; ""
// (no cache) without --cache-dir, $XDG_CACHE_HOME or $HOME.
func (f *registryFlags) cache() string {
	if f.cacheDir != "" {
		return f.cacheDir
	}
	dir, _ := defaultCacheDir()
	return dir
}

// pushOutputs returns the docker:// outputs that --push adds for tags.
func (f *registryFlags) pushOutputs(tags []string) []string {
	if !f.push {
		return nil
	}
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		out = append(out, location.Location{Kind: location.Registry, Ref: t}.String())
	}
	return out
}

// authFiles lists the credential files in order of preference.
func authFiles(explicit string) []string {
	var files []string
	add := func(p string) {
		if p != "" {
			files = append(files, p)
		}
	}
	if explicit == "" {
		explicit = os.Getenv("REGISTRY_AUTH_FILE")
	}
	add(explicit)
	home, _ := os.UserHomeDir()
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		add(filepath.Join(d, "config.json"))
	} else if home != "" {
		add(filepath.Join(home, ".docker", "config.json"))
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		add(filepath.Join(d, "containers", "auth.json"))
	}
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
		add(filepath.Join(d, "containers", "auth.json"))
	} else if home != "" {
		add(filepath.Join(home, ".config", "containers", "auth.json"))
	}
	return files
}

// defaultCacheDir returns $XDG_CACHE_HOME/ybuild, else ~/.cache/ybuild.
func defaultCacheDir() (string, error) {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "ybuild"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cache directory: %w; set --cache-dir or XDG_CACHE_HOME", err)
	}
	return filepath.Join(home, ".cache", "ybuild"), nil
}
