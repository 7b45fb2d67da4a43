#!/usr/bin/env bash
# bench/sbom.sh: what the SBOM and provenance cost a build, in CPU time.
#
#   bench/sbom.sh [YBUILD]     (default: built from this checkout)
#
# Generates a source tree with a fixed seed (FILES [15000] files, MB [250]
# MB: layerbench -gen MB -files FILES), builds it FROM scratch into an OCI
# layout with gzip layers, and prints user+sys CPU seconds (/usr/bin/time)
# of each case, the median of RUNS [5] runs:
#   cold  empty cache directory, new layout
#   warm  the same build again: same cache, same layout
# each with the documents on (the default) and off (--sbom=false
# --provenance=false), alternating. The work directory is removed on exit.
set -euo pipefail
RUNS=${RUNS:-5}
FILES=${FILES:-15000}
MB=${MB:-250}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
yb=${1:-}
if [ -z "$yb" ]; then
	go build -o "$work/ybuild" ./cmd/ybuild
	yb=$work/ybuild
fi
go build -o "$work/layerbench" ./bench/layerbench
"$work/layerbench" -gen "$MB" -files "$FILES" -dir "$work/tree/src"
cat >"$work/tree/build.yaml" <<YAML
apiVersion: ybuild/v1
name: sbombench
base: scratch
created: "2026-01-01T00:00:00Z"
files:
  - {src: src, dst: /app}
YAML
echo "tree: $(du -sm --apparent-size "$work/tree/src" | cut -f1) MB, $(find "$work/tree/src" -type f | wc -l) files, $(nproc) cores"
cat "$work"/tree/src/*/*/* >/dev/null

cpu() { # prints user+sys seconds of the command
	/usr/bin/time -f "%U %S" -o "$work/t" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" "$work/t"; exit 1; }
	awk '{printf "%.2f\n", $1+$2}' "$work/t"
}
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
# On and off alternate within each run, so that both see the same load.
for _ in $(seq "$RUNS"); do
	for docs in on off; do
		flags=()
		[ "$docs" = off ] && flags=(--sbom=false --provenance=false)
		rm -rf "$work/cache" "$work/out"
		cpu "$yb" build -f "$work/tree/build.yaml" --cache-dir "$work/cache" -o "oci:$work/out" "${flags[@]}" >>"$work/cold-$docs"
		cpu "$yb" build -f "$work/tree/build.yaml" --cache-dir "$work/cache" -o "oci:$work/out" "${flags[@]}" >>"$work/warm-$docs"
	done
done
for docs in on off; do
	echo "documents $docs: cold $(median <"$work/cold-$docs") s CPU, warm $(median <"$work/warm-$docs") s CPU (median of $RUNS; all: cold $(tr '\n' ' ' <"$work/cold-$docs")| warm $(tr '\n' ' ' <"$work/warm-$docs"))"
done
