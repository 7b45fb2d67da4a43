package lock

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

func sampleLock() *Lock {
	return &Lock{
		Spec: "build.yaml", Base: "127.0.0.1:5000/lib/busybox:1",
		Digest: digest.FromString("index"),
		Platforms: []Platform{
			{Name: "linux/arm64", Digest: digest.FromString("arm64")},
			{Name: "linux/amd64", Digest: digest.FromString("amd64")},
		},
	}
}

func TestPath(t *testing.T) {
	for in, want := range map[string]string{
		"build.yaml": "build.lock", "a/b/app.yml": "a/b/app.lock", "x.build.yaml": "x.build.lock", "spec": "spec.lock",
	} {
		if got := Path(in); got != want {
			t.Errorf("Path(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRoundTrip: Marshal sorts platforms, is stable, and Parse reads back
// exactly what it wrote.
func TestRoundTrip(t *testing.T) {
	l := sampleLock()
	data := l.Marshal()
	if string(data) != string(sampleLock().Marshal()) {
		t.Fatal("Marshal is not stable")
	}
	if !strings.HasPrefix(string(data), "# build.lock: the base image of build.yaml") {
		t.Errorf("no comment header:\n%s", data)
	}
	if strings.Index(string(data), "linux/amd64") > strings.Index(string(data), "linux/arm64") {
		t.Errorf("platforms not sorted:\n%s", data)
	}
	got, err := Parse(data, "build.lock")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Marshal()) != string(data) {
		t.Errorf("round trip changed the lock:\n%s\nvs\n%s", got.Marshal(), data)
	}
	if d, _ := got.Platform("linux/amd64"); d != digest.FromString("amd64") {
		t.Errorf("linux/amd64 = %s", d)
	}
}

// TestParseRefuses: every corruption or hand edit is ErrInvalid, naming
// the file (and the line where it can).
func TestParseRefuses(t *testing.T) {
	good := string(sampleLock().Marshal())
	amd := digest.FromString("amd64").String()
	cases := map[string]string{
		"empty":          "",
		"garbage":        "\x00\x01not yaml: [",
		"unknown field":  good + "extra: 1\n",
		"version":        strings.Replace(good, "lockVersion: 1", "lockVersion: 2", 1),
		"bad digest":     strings.Replace(good, amd, "sha256:1234", 1),
		"md5 digest":     strings.Replace(good, amd, "md5:d41d8cd98f00b204e9800998ecf8427e", 1),
		"unsorted":       strings.Replace(strings.Replace(good, "linux/amd64:", "linux/zzz:", 1), "linux/arm64:", "linux/amd64:", 1),
		"bad platform":   strings.Replace(good, "linux/amd64:", "Linux/AMD64:", 1),
		"spec path":      strings.Replace(good, `spec: "build.yaml"`, `spec: "../x/build.yaml"`, 1),
		"no base":        strings.Replace(good, `base: "127.0.0.1:5000/lib/busybox:1"`, `base: ""`, 1),
		"no platforms":   good[:strings.Index(good, "platforms:")] + "platforms: {}\n",
		"two documents":  good + "---\n" + good,
		"truncated line": good[:len(good)-30],
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(in), "build.lock")
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse: %v, want ErrInvalid", err)
			}
			if !strings.HasPrefix(err.Error(), "build.lock") || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q: want one line starting with the file", err)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	l := sampleLock()
	want := Want{Spec: "build.yaml", Base: l.Base, Platforms: []string{"linux/amd64"}}
	if err := l.Check(want); err != nil {
		t.Fatalf("Check: %v", err)
	}
	for name, c := range map[string]struct {
		w    Want
		want error
	}{
		"other spec": {Want{Spec: "other.yaml", Base: l.Base}, ErrInvalid},
		"new base":   {Want{Spec: "build.yaml", Base: "127.0.0.1:5000/lib/busybox:2"}, ErrStale},
		"new plat":   {Want{Spec: "build.yaml", Base: l.Base, Platforms: []string{"linux/s390x"}}, ErrStale},
		"all":        {Want{Spec: "build.yaml", Base: l.Base, AllPlatforms: true}, ErrStale},
		"moved pin":  {Want{Spec: "build.yaml", Base: l.Base, Digest: digest.FromString("other")}, ErrInvalid},
	} {
		if err := l.Check(c.w); !errors.Is(err, c.want) {
			t.Errorf("%s: Check = %v, want %v", name, err, c.want)
		}
	}
}

func TestChanges(t *testing.T) {
	old := sampleLock()
	nw := sampleLock()
	nw.Digest = digest.FromString("index2")
	nw.Platforms[1].Digest = digest.FromString("amd64-2")
	nw.Platforms = append(nw.Platforms, Platform{Name: "linux/s390x", Digest: digest.FromString("s")})
	ch := Changes(old, nw)
	if len(ch) != 4 || ch[0].Platform != "" || ch[1].Platform != "linux/amd64" || ch[1].Old == ch[1].New ||
		ch[2].Old != ch[2].New || ch[3].Old != "" {
		t.Fatalf("Changes = %+v", ch)
	}
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "build.lock")
	if err := Write(p, sampleLock()); err != nil {
		t.Fatal(err)
	}
	got, err := Read(p)
	if err != nil || got.Digest != sampleLock().Digest {
		t.Fatalf("Read = %v, %v", got, err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only build.lock", len(ents))
	}
	if _, err := Read(filepath.Join(dir, "missing.lock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Read(missing) = %v, want ErrNotExist", err)
	}
}

// TestReadFIFO: a FIFO named build.lock is refused at once; opening it
// for reading must not wait for a writer.
func TestReadFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "build.lock")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := Read(p); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Read(FIFO) = %v, want ErrInvalid", err)
		}
	case <-time.After(10 * time.Second):
		// Unblock the open so the goroutine ends, then fail.
		if w, err := os.OpenFile(p, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		t.Fatal("Read blocked opening a FIFO")
	}
}
