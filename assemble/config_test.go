package assemble

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ybuild/ybuild/spec"
)

// baseConfig has fields ocispec.Image drops and a label with <>&.
const baseConfig = `{"architecture":"amd64","os":"linux","created":"2020-01-01T00:00:00Z",` +
	`"container_config":{"Hostname":"b","Cmd":["/bin/sh"]},"docker_version":"27.0.0",` +
	`"config":{"Env":["PATH=/usr/bin:/bin","BASE=1"],"Cmd":["sh"],"Entrypoint":["/init"],"WorkingDir":"/",` +
	`"Labels":{"keep":"<b>&</b>","drop":"x"},"ExposedPorts":{"80/tcp":{}},"Volumes":{"/data":{}},` +
	`"Healthcheck":{"Test":["CMD","true"],"Interval":30000000000},"OnBuild":["RUN x"],"Shell":["/bin/sh","-c"],"StopSignal":"SIGTERM"},` +
	`"rootfs":{"type":"layers","diff_ids":["sha256:1111111111111111111111111111111111111111111111111111111111111111"]},` +
	`"history":[{"created":"2020-01-01T00:00:00Z","created_by":"ADD x","comment":"<&>"},{"created_by":"CMD","empty_layer":true}]}`

// containerConfig is the part of the config the tests look at.
type containerConfig struct {
	Env          []string
	Cmd          []string
	Entrypoint   []string
	WorkingDir   string
	User         string
	StopSignal   string
	Labels       map[string]string
	ExposedPorts map[string]struct{}
	Volumes      map[string]struct{}
}

// list returns a *StringList.
func list(s ...string) *spec.StringList {
	l := spec.StringList(s)
	return &l
}

func TestConfigRules(t *testing.T) {
	base := containerConfig{
		Env: []string{"PATH=/usr/bin:/bin", "BASE=1"}, Cmd: []string{"sh"}, Entrypoint: []string{"/init"}, WorkingDir: "/",
		StopSignal: "SIGTERM", Labels: map[string]string{"keep": "<b>&</b>", "drop": "x"},
		ExposedPorts: map[string]struct{}{"80/tcp": {}}, Volumes: map[string]struct{}{"/data": {}},
	}
	for _, tc := range []struct {
		name string
		cfg  spec.Config
		want func(c *containerConfig)
	}{
		{"nothing", spec.Config{}, func(c *containerConfig) {}},
		{"env", spec.Config{Env: nm("BASE", "2", "APP", "$BASE/x")}, func(c *containerConfig) {
			c.Env = []string{"PATH=/usr/bin:/bin", "BASE=2", "APP=2/x"}
		}},
		{"labels", spec.Config{Labels: nm("drop", "<nil>", "new", "y")}, func(c *containerConfig) {
			c.Labels = map[string]string{"keep": "<b>&</b>", "new": "y"}
		}},
		{"ports", spec.Config{Ports: []string{"8080", "53/UDP", "80/tcp"}}, func(c *containerConfig) {
			c.ExposedPorts = map[string]struct{}{"80/tcp": {}, "8080/tcp": {}, "53/udp": {}}
		}},
		{"volumes", spec.Config{Volumes: []string{"/cache"}}, func(c *containerConfig) {
			c.Volumes = map[string]struct{}{"/data": {}, "/cache": {}}
		}},
		{"entrypoint clears cmd", spec.Config{Entrypoint: list("/app")}, func(c *containerConfig) {
			c.Entrypoint, c.Cmd = []string{"/app"}, nil
		}},
		{"entrypoint and cmd", spec.Config{Entrypoint: list("/app"), Cmd: list("-v")}, func(c *containerConfig) {
			c.Entrypoint, c.Cmd = []string{"/app"}, []string{"-v"}
		}},
		{"cmd keeps entrypoint", spec.Config{Cmd: list()}, func(c *containerConfig) { c.Cmd = []string{} }},
		{"scalars", spec.Config{Workdir: "/app", User: "1000:1000", StopSignal: "SIGRTMIN+3"}, func(c *containerConfig) {
			c.WorkingDir, c.User, c.StopSignal = "/app", "1000:1000", "SIGRTMIN+3"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := mustBuildConfig(t, []byte(baseConfig), tc.cfg)
			var got struct{ Config containerConfig }
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			want := base
			want.Labels = map[string]string{"keep": "<b>&</b>", "drop": "x"}
			tc.want(&want)
			if !reflect.DeepEqual(got.Config, want) {
				t.Errorf("config\n got %+v\nwant %+v", got.Config, want)
			}
		})
	}
}

// mustBuildConfig patches base with c for linux/arm64/v8 and one new layer.
func mustBuildConfig(t *testing.T, base []byte, c spec.Config) []byte {
	t.Helper()
	created := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	out, err := buildConfig(configInput{
		base: base, spec: c, created: created,
		platform: ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"},
		diffIDs:  []digest.Digest{digest.FromString("new")},
		history:  newHistory([]spec.Layer{{Name: "app"}}, c, created),
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestConfigKeepsUnknownFields(t *testing.T) {
	c := spec.Config{Env: nm("A", "1"), Labels: nm("new", "<x>")}
	out := mustBuildConfig(t, []byte(baseConfig), c)
	in, got := mustObject(t, []byte(baseConfig)), mustObject(t, out)
	for _, k := range []string{"container_config", "docker_version"} {
		if !bytes.Equal(in[k], got[k]) {
			t.Errorf("%s: %s, want %s", k, got[k], in[k])
		}
	}
	inCfg, gotCfg := mustObject(t, in["config"]), mustObject(t, got["config"])
	for _, k := range []string{"Healthcheck", "OnBuild", "Shell", "Cmd", "Entrypoint", "ExposedPorts"} {
		if !bytes.Equal(inCfg[k], gotCfg[k]) {
			t.Errorf("config.%s: %s, want %s", k, gotCfg[k], inCfg[k])
		}
	}
	for _, s := range []string{`"keep":"<b>&</b>"`, `"new":"<x>"`, `"comment":"<&>"`, `"variant":"v8"`, `"architecture":"arm64"`, `"created":"2024-05-06T07:08:09Z"`} {
		if !bytes.Contains(out, []byte(s)) {
			t.Errorf("config lacks %s: %s", s, out)
		}
	}
	if again := mustBuildConfig(t, []byte(baseConfig), c); !bytes.Equal(out, again) {
		t.Error("config is not stable")
	}
}

// mustObject parses a JSON object.
func mustObject(t *testing.T, data []byte) object {
	t.Helper()
	o, err := parseObject(data)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestConfigUnchangedKeepsConfigObject(t *testing.T) {
	out := mustBuildConfig(t, []byte(baseConfig), spec.Config{})
	if !bytes.Equal(mustObject(t, out)["config"], mustObject(t, []byte(baseConfig))["config"]) {
		t.Error("config object changed without config in the spec")
	}
}
