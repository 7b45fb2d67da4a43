package assemble

import (
	"fmt"
	"strings"

	"github.com/ybuild/ybuild/spec"
)

// patchContainerConfig applies the spec's config to the nested "config"
// object with Dockerfile semantics, keeping its unknown fields.
func patchContainerConfig(top object, c spec.Config) error {
	if isZeroConfig(c) {
		return nil
	}
	var cfg object
	if err := top.get("config", &cfg); err != nil {
		return err
	}
	if cfg == nil {
		cfg = object{}
	}
	for _, step := range []func(object, spec.Config) error{patchEnv, patchLabels, patchPorts, patchVolumes, patchCommand, patchScalars} {
		if err := step(cfg, c); err != nil {
			return err
		}
	}
	return top.set("config", cfg)
}

// isZeroConfig reports whether the spec changes nothing in the config.
func isZeroConfig(c spec.Config) bool {
	return c.Entrypoint == nil && c.Cmd == nil && len(c.Env) == 0 && c.Workdir == "" &&
		c.User == "" && len(c.Ports) == 0 && len(c.Volumes) == 0 && len(c.Labels) == 0 && c.StopSignal == ""
}

// patchEnv merges the spec's env into Env.
func patchEnv(cfg object, c spec.Config) error {
	if len(c.Env) == 0 {
		return nil
	}
	var env []string
	if err := cfg.get("Env", &env); err != nil {
		return err
	}
	merged, err := mergeEnv(env, c.Env)
	if err != nil {
		return err
	}
	return cfg.set("Env", merged)
}

// patchLabels sets and removes labels.
func patchLabels(cfg object, c spec.Config) error {
	if len(c.Labels) == 0 {
		return nil
	}
	labels := map[string]string{}
	if err := cfg.get("Labels", &labels); err != nil {
		return err
	}
	if labels == nil {
		labels = map[string]string{}
	}
	for _, kv := range c.Labels {
		if kv.Value == nil {
			delete(labels, kv.Key)
		} else {
			labels[kv.Key] = *kv.Value
		}
	}
	return cfg.set("Labels", labels)
}

// patchPorts adds exposed ports; a port without a protocol is tcp.
func patchPorts(cfg object, c spec.Config) error {
	ports := make([]string, 0, len(c.Ports))
	for _, p := range c.Ports {
		ports = append(ports, normalizePort(p))
	}
	return addSet(cfg, "ExposedPorts", ports)
}

// normalizePort returns PORT/PROTO with a lowercase protocol, tcp by default.
func normalizePort(p string) string {
	port, proto, ok := strings.Cut(p, "/")
	if !ok || proto == "" {
		proto = "tcp"
	}
	return port + "/" + strings.ToLower(proto)
}

// patchVolumes adds volumes.
func patchVolumes(cfg object, c spec.Config) error {
	return addSet(cfg, "Volumes", c.Volumes)
}

// addSet adds keys mapping to {} to the object at cfg[field], keeping the
// existing entries as they are.
func addSet(cfg object, field string, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	var set object
	if err := cfg.get(field, &set); err != nil {
		return err
	}
	if set == nil {
		set = object{}
	}
	for _, k := range keys {
		if _, ok := set[k]; !ok {
			set[k] = []byte("{}")
		}
	}
	return cfg.set(field, set)
}

// patchCommand sets Entrypoint and Cmd; a new entrypoint without a cmd
// clears the base's cmd, as in a Dockerfile.
func patchCommand(cfg object, c spec.Config) error {
	if c.Entrypoint != nil {
		if err := cfg.set("Entrypoint", nonNil(*c.Entrypoint)); err != nil {
			return err
		}
		if c.Cmd == nil {
			delete(cfg, "Cmd")
		}
	}
	if c.Cmd != nil {
		return cfg.set("Cmd", nonNil(*c.Cmd))
	}
	return nil
}

// nonNil returns l as a non-nil slice, so that an empty list stays [].
func nonNil(l spec.StringList) []string {
	return append([]string{}, l...)
}

// patchScalars overrides WorkingDir, User and StopSignal when set.
func patchScalars(cfg object, c spec.Config) error {
	for field, v := range map[string]string{"WorkingDir": c.Workdir, "User": c.User, "StopSignal": c.StopSignal} {
		if v == "" {
			continue
		}
		if err := cfg.set(field, v); err != nil {
			return fmt.Errorf("config %s: %w", field, err)
		}
	}
	return nil
}
