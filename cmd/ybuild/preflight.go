package main

import (
	"fmt"

	"github.com/ybuild/ybuild/output"
)

// checkOutputs fails before anything is built when a destination cannot
// be written (see output.Checker).
func checkOutputs(writers []output.Writer) error {
	for _, w := range writers {
		if c, ok := w.(output.Checker); ok {
			if err := c.Check(); err != nil {
				return fmt.Errorf("write %w", err) // as runBuild words output errors
			}
		}
	}
	return nil
}
