package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/ybuild/ybuild/spec"
)

// warnUnusedArgs says on stderr which --arg names no spec of the call
// refers to: such an --arg changes nothing, which is how a mistyped name
// (--arg VERSON=1.2.3) would otherwise go unnoticed while the image is
// built with the default. It is not an error: one set of --arg may serve
// several specs that do not all use every name.
func warnUnusedArgs(stderr io.Writer, builds []*spec.Build, args []string) {
	seen := map[string]bool{}
	for _, a := range args {
		name, _, _ := strings.Cut(a, "=")
		if seen[name] {
			continue
		}
		seen[name] = true
		used, hint := false, ""
		for _, b := range builds {
			used = used || b.Refers(name)
			if hint == "" {
				hint = b.CloseRef(name)
			}
		}
		if used {
			continue
		}
		who := "no spec refers to"
		if len(builds) == 1 {
			who = builds[0].File + " refers to no"
		}
		msg := fmt.Sprintf("ybuild: --arg %s: %s ${%s}, so it changes nothing", name, who, name)
		if hint != "" {
			msg += fmt.Sprintf("; did you mean %s?", hint)
		}
		fmt.Fprintln(stderr, msg)
	}
}
