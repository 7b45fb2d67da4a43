package spec

import (
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestNotesMoveKeepsEverything checks that renaming a path carries its
// position and every fact, and that a clone is independent.
func TestNotesMoveKeepsEverything(t *testing.T) {
	n := notes{}
	n.setPos("config.labels.${TARGETARCH}", Pos{Line: 3, Column: 5})
	n.set("config.labels.${TARGETARCH}", flagDeferred|flagKeyDeferred|flagBad)
	c := n.clone()
	n.move("config.labels.${TARGETARCH}", "config.labels.arm64")
	if pos, ok := n.pos("config.labels.arm64"); !ok || pos != (Pos{Line: 3, Column: 5}) {
		t.Errorf("moved position = %v, %v", pos, ok)
	}
	if !n.has("config.labels.arm64", flagDeferred) || !n.has("config.labels.arm64", flagKeyDeferred) || !n.has("config.labels.arm64", flagBad) {
		t.Errorf("facts lost in the move: %+v", n["config.labels.arm64"])
	}
	if _, ok := n["config.labels.${TARGETARCH}"]; ok {
		t.Error("the old path is still noted")
	}
	if _, ok := c.pos("config.labels.${TARGETARCH}"); !ok {
		t.Error("the move changed the clone")
	}
}

// TestTargetKeyPositions checks that a map key that holds ${TARGETARCH},
// in top-level files: (folded into layers[0]), keeps its value's position
// through ForPlatform: the error after substitution points at the line.
func TestTargetKeyPositions(t *testing.T) {
	src := "apiVersion: ybuild/v1\nbase: scratch\nfiles:\n  - {content: hi, dst: /hi, owner: \"${TARGETARCH}\"}\nconfig:\n  labels:\n    \"${TARGETVARIANT}\": \"x\"\n"
	b, err := Parse([]byte(src), "b.yaml", "", LoadOptions{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	_, err = b.ForPlatform(ocispec.Platform{OS: "linux", Architecture: "arm64"})
	if err == nil {
		t.Fatal("ForPlatform accepted owner: arm64")
	}
	for _, want := range []string{"b.yaml:4:36: files[0].owner:", `b.yaml:7:25: config.labels[""]: empty key`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
