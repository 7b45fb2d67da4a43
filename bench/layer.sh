#!/bin/sh
# bench/layer.sh: layer writing throughput and peak memory of ybuild's layer
# writer against `tar -cf - DIR | pigz` on the same data.
#
#   bench/layer.sh [MB]     (default 400; needs pigz, GNU tar, /usr/bin/time)
#
# The data and blobs live in a temp directory removed on exit.
set -eu
MB=${1:-400}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/layerbench" ./bench/layerbench
"$work/layerbench" -gen "$MB" -dir "$work/data"
echo "data: $(du -sm "$work/data" | cut -f1) MB, $(find "$work/data" -type f | wc -l) files, $(nproc) cores"
cat "$work"/data/*/* >/dev/null # warm the page cache

measure() { # name, command...
	name=$1; shift
	/usr/bin/time -f "$name: %e s wall, %U s user, %S s sys, peak RSS %M KB" "$@" >/dev/null 2>"$work/time" || { cat "$work/time"; exit 1; }
	tail -n 1 "$work/time"
}
for c in gzip zstd none; do
	mkdir -p "$work/blobs"
	measure "ybuild $c" "$work/layerbench" -dir "$work/data" -blobs "$work/blobs" -compression "$c"
	ls -l "$work"/blobs/sha256 | awk -v c="$c" 'NR>1{print "  blob " c ": " $5 " bytes"}'
	rm -rf "$work/blobs"
done
measure "tar | pigz -6" sh -c "tar -C '$work/data' --sort=name -cf - . | pigz -6 > '$work/out.tgz'"
echo "  pigz output: $(stat -c %s "$work/out.tgz") bytes"
measure "tar | zstd -3" sh -c "command -v zstd >/dev/null && tar -C '$work/data' --sort=name -cf - . | zstd -q -3 -T2 > '$work/out.tzst' || true"
measure "tar (none)" sh -c "tar -C '$work/data' --sort=name -cf - . > '$work/out.tar'"
