// Command gen writes the JSON Schema of build.yaml. Run it from the schema
// directory (go generate does): it reads ../spec for field comments.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/ybuild/ybuild/schema/internal/generate"
)

func main() {
	out := flag.String("o", "build.schema.json", "output file")
	specDir := flag.String("spec", "../spec", "spec package source directory")
	flag.Parse()
	if err := run(*out, *specDir); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// run generates the schema into out.
func run(out, specDir string) error {
	data, err := generate.Schema(specDir)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return fmt.Errorf("write schema: %w", err)
	}
	return nil
}
