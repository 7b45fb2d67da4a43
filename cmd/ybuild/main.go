// Command ybuild builds container images from a build.yaml spec without a
// daemon, root or RUN steps.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/containerd/log"
)

func main() {
	// containerd's remotes log routine decisions at info level ("host will
	// try HTTPS first ..."); ybuild reports what matters itself.
	_ = log.SetLevel("warn")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	stopProfile := startProfile(os.Stderr)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stopProfile()
	stop()
	os.Exit(code)
}
