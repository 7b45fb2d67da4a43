// Command ybuild builds container images from a build.yaml spec without a
// daemon, root or RUN steps.
package main

func main() {}
