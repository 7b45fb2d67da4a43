#!/bin/sh
# bench/umoci.sh: a whole cold build, ybuild against umoci, on the same
# files: FROM scratch, one layer holding DIR at /data, written as an OCI
# layout (gzip). Then a ybuild rebuild with nothing changed.
#
#   bench/umoci.sh [MB] [RUNS]   (defaults 400 and 3; needs umoci, /usr/bin/time)
#
# Each tool starts from an empty output directory every run; the best of
# RUNS is printed. Data and outputs live in a temp directory removed on exit.
set -eu
MB=${1:-400}
RUNS=${2:-3}
cd "$(dirname "$0")/.."
command -v umoci >/dev/null || { echo "umoci not found (apt-get install umoci)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/ybuild" ./cmd/ybuild
go build -o "$work/layerbench" ./bench/layerbench
"$work/layerbench" -gen "$MB" -dir "$work/data"
echo "data: $(du -sm "$work/data" | cut -f1) MB, $(find "$work/data" -type f | wc -l) files, $(nproc) cores, $(umoci --version)"
cat "$work"/data/*/* >/dev/null # warm the page cache
cat >"$work/build.yaml" <<EOF
apiVersion: ybuild/v1
base: scratch
files:
  - {src: data, dst: /data}
EOF

best() { # name, command: run RUNS times after a reset, print the fastest
	name=$1; shift
	min=""
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		rm -rf "$work/out" "$work/cache"
		/usr/bin/time -f "%e %M" -o "$work/time" sh -c "$*" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
		read -r wall rss <"$work/time"
		if [ -z "$min" ] || awk -v a="$wall" -v b="$min" 'BEGIN{exit !(a < b)}'; then min=$wall; minrss=$rss; fi
		i=$((i + 1))
	done
	echo "$name: best of $RUNS: $min s wall, peak RSS $minrss KB"
}

best "ybuild cold build (empty cache)" "'$work/ybuild' -f '$work/build.yaml' --progress quiet --cache-dir '$work/cache' -o 'oci:$work/out:latest'"
best "umoci init+new+insert" "umoci init --layout '$work/out' && umoci new --image '$work/out:latest' && umoci insert --image '$work/out:latest' '$work/data' /data"

# Rebuilds into an existing layout with a warm layer cache.
yb() { "$work/ybuild" -f "$work/build.yaml" --progress quiet --cache-dir "$work/keepcache" -o "oci:$work/keep:latest" >/dev/null; }
yb
timed() { # name: time one yb run
	/usr/bin/time -f "%e %M" -o "$work/time" "$work/ybuild" -f "$work/build.yaml" --progress quiet --cache-dir "$work/keepcache" -o "oci:$work/keep:latest" >/dev/null
	read -r wall rss <"$work/time"
	echo "$1: $wall s wall, peak RSS $rss KB"
}
timed "ybuild rebuild, nothing changed"
timed "ybuild rebuild, nothing changed (again)"
touch "$work"/data/*/*
timed "ybuild rebuild after touching every file (DiffID checked)"
cp -r "$work/data" "$work/data2" && rm -rf "$work/data" && mv "$work/data2" "$work/data"
timed "ybuild rebuild from a fresh copy of the files (DiffID checked)"
echo "x" >>"$work/data/$(ls "$work/data" | head -n 1)/$(ls "$work/data/$(ls "$work/data" | head -n 1)" | head -n 1)"
timed "ybuild rebuild after changing one file (layer rewritten)"
