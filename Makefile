# ybuild: `make demo` shows it working, `make test` runs every test.

GO        ?= go
YBUILD    := bin/ybuild
# The platform of the images `demo` and `examples` build for the host: the
# busybox and hello binaries are the host's, so the image must say so.
# (Without --platform ybuild's default is linux/amd64 on every machine.)
GOARCH_HOST := $(shell $(GO) env GOARCH)
PLATFORM  ?= linux/$(GOARCH_HOST)
BUSYBOX   ?= /bin/busybox
ROOTFS    := examples/base-busybox/rootfs
APPLETS   := sh ash cat echo ls mkdir rm cp mv ln chmod chown env id pwd \
             sleep test true false grep sed wget httpd vi less head tail
HELLO_IMAGE := localhost/ybuild-hello:latest
# The only way this sandbox and CI run containers; harmless elsewhere.
PODMAN_RUN := podman run --rm --runtime runc --ulimit nofile=1024:1024 \
              --ulimit nproc=1024:1024 --network none

.PHONY: all build test fuzz fmt-check vet cross demo hello-bin busybox-rootfs examples schema clean

all: build

build:
	$(GO) build -o $(YBUILD) ./cmd/ybuild

test: fmt-check vet cross
	$(GO) test -race -timeout 20m ./...
	$(MAKE) fuzz

# Fuzz targets, PKG:FuzzName, one per line (add yours with +=). `make fuzz`
# runs each for FUZZTIME after its checked-in seed corpus
# (PKG/testdata/fuzz/FuzzName); `go test` runs the corpus alone. New
# inputs are minimized for at most 100 runs, so the time goes to fuzzing.
# FUZZTIME is a count of runs, not a duration: with a duration Go's fuzzing
# coordinator can fail a target with a bare "context deadline exceeded"
# when the deadline fires while a worker is mid-run on a loaded machine
# (golang/go#75804, #51484; it failed CI once). 5000 runs take 1 to 6 s here.
FUZZTIME ?= 5000x
FUZZ_TARGETS := ./assemble:FuzzExtract
FUZZ_TARGETS += ./spec:FuzzParse
FUZZ_TARGETS += ./resolve:FuzzLayout
FUZZ_TARGETS += ./resolve:FuzzArchive

fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t#*:}; \
		echo "$(GO) test $$pkg -run '^$$' -fuzz '^'$$name'$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 100x"; \
		$(GO) test $$pkg -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 100x || exit 1; \
	done

# ybuild runs on Linux and macOS: keep the macOS build compiling.
cross:
	GOOS=darwin GOARCH=arm64 $(GO) build -o /dev/null ./cmd/ybuild

fmt-check:
	@out="$$(gofmt -l .)"; \
	if [ -n "$$out" ]; then echo "gofmt -l: these files need gofmt -w:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

hello-bin:
	CGO_ENABLED=0 GOOS=linux GOARCH=$(word 2,$(subst /, ,$(PLATFORM))) \
		$(GO) build -trimpath -ldflags=-s -o examples/hello/bin/hello ./examples/hello/app

demo: build hello-bin
	$(YBUILD) -f examples/hello/build.yaml --platform $(PLATFORM)
	$(YBUILD) inspect oci:examples/hello/build/hello
	@if command -v podman >/dev/null 2>&1; then \
		set -e; \
		echo "+ podman load -i examples/hello/build/hello.tar"; \
		loaded="$$(podman load -i examples/hello/build/hello.tar)"; \
		echo "$$loaded"; \
		img="$$(echo "$$loaded" | sed -nE 's/^Loaded image(\(s\))?: *//p' | cut -d, -f1)"; \
		if [ "$$img" != "$(HELLO_IMAGE)" ]; then \
			echo "warning: podman named the image '$$img', expected '$(HELLO_IMAGE)'"; \
		fi; \
		echo "+ $(PODMAN_RUN) $${img:-$(HELLO_IMAGE)} hello"; \
		$(PODMAN_RUN) "$${img:-$(HELLO_IMAGE)}" hello; \
	else \
		echo "podman is not installed: skipping the run (try: docker load -i examples/hello/build/hello.tar)"; \
	fi

# Copies the host's static busybox into the base-busybox root filesystem and
# links the applets to it (relative links, so they work inside the image).
busybox-rootfs:
	@test -x $(BUSYBOX) || { echo "$(BUSYBOX) not found: install busybox-static or set BUSYBOX=PATH"; exit 1; }
	@if ldd $(BUSYBOX) >/dev/null 2>&1; then echo "$(BUSYBOX) is dynamically linked: a static busybox is needed (busybox-static)"; exit 1; fi
	mkdir -p $(ROOTFS)/bin
	cp $(BUSYBOX) $(ROOTFS)/bin/busybox
	chmod 0755 $(ROOTFS)/bin/busybox
	cd $(ROOTFS)/bin && for a in $(APPLETS); do ln -sfn busybox $$a; done

examples: build hello-bin busybox-rootfs
	$(YBUILD) -f examples/hello/build.yaml --platform $(PLATFORM)
	$(YBUILD) -f examples/base-busybox/build.yaml --platform $(PLATFORM)
	$(YBUILD) -f examples/static-site/build.yaml
	$(YBUILD) -f examples/delete-replace/build.yaml
	$(YBUILD) -f examples/multi-platform/build.yaml

schema:
	$(GO) generate ./schema

clean:
	rm -rf bin examples/*/build examples/hello/bin $(ROOTFS)/bin
