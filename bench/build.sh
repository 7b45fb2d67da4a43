#!/usr/bin/env bash
# bench/build.sh: a whole build, ybuild against umoci + skopeo, side by side.
#
# The job (issue 10): a 4-layer busybox-based base (about 110 MB gzip) in a
# loopback CNCF distribution registry, plus an app directory of 20,000
# small text files (80 MB) and one 300 MiB incompressible file, with an
# entrypoint, env, workdir, port and label; written to an OCI layout (oci)
# or pushed to the same registry (push).
#
#   bench/build.sh            # every case, medians of RUNS runs
#
# Environment (defaults in brackets):
#   RUNS [5]        runs per case; ybuild and umoci alternate
#   FILES [20000]   small files;  FILE_KB [4] KiB each
#   BIG_MB [300]    the large file; BIG [random] or text (the compressible variant)
#   BASE_MB [110]   data in the base's three upper layers (random bytes)
#   CASES [oci-cold oci-warm oci-touch oci-fresh push-cold push-warm push-touch push-fresh]
#   UMOCI [1]       0 skips umoci + skopeo
#   YB_FLAGS [--sbom=false --provenance=false]  extra ybuild flags; umoci and
#                   skopeo attach no SBOM or provenance, so neither does
#                   ybuild by default here (YB_FLAGS= measures ybuild's defaults)
#   SIGNED [0]      1: the seed build of the fresh case signs its records
#                   (--cache-sign-key, a key made with openssl) and the
#                   fresh builds trust them (--cache-trust-key)
#   WORK [mktemp]   work directory (kept when set, removed otherwise)
#
# Cases (ybuild):
#   cold   empty cache directory, new layout / new repository
#   warm   nothing changed since the last build (same cache, same layout or repository)
#   touch  every app file touched (new mtimes and ctimes), warm cache
#   fresh  a fresh copy of the app (new inodes, mtimes, ctimes) and an empty
#          cache directory, with --cache-repo REG/bench/cache holding the
#          records of an earlier build: a new CI runner. Skipped when this
#          ybuild has no --cache-repo.
# umoci + skopeo (no cache of their own): "cold" pulls the base into a new
# layout with skopeo, inserts the app with umoci insert, sets the config
# with umoci config (and pushes with skopeo); "warm" does the same into the
# layout and repository of the previous run. cold, and fresh, compare with
# umoci cold; warm and touch with umoci warm.
#
# Before each run: sync (written data from earlier runs is flushed first).
# Per run: wall seconds, user+sys CPU seconds, peak RSS (/usr/bin/time) and
# rchar, the bytes the build read through read(2) (/proc/PID/io of the
# waiting shell, which adds its reaped children's counts): it shows what a
# warm build re-reads. The table prints medians and ybuild/umoci ratios.
set -euo pipefail

RUNS=${RUNS:-5}
FILES=${FILES:-20000}
FILE_KB=${FILE_KB:-4}
BIG_MB=${BIG_MB:-300}
BIG=${BIG:-random}
BASE_MB=${BASE_MB:-110}
CASES=${CASES:-oci-cold oci-warm oci-touch oci-fresh push-cold push-warm push-touch push-fresh}
UMOCI=${UMOCI:-1}
YB_FLAGS=${YB_FLAGS---sbom=false --provenance=false}

cd "$(dirname "$0")/.."
if [ -n "${WORK:-}" ]; then
	work=$WORK
	mkdir -p "$work"
else
	work=$(mktemp -d)
fi
regpid=""
cleanup() {
	if [ -n "$regpid" ]; then kill "$regpid" 2>/dev/null || true; fi
	if [ -z "${WORK:-}" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

for t in /usr/bin/time /bin/busybox; do [ -x "$t" ] || { echo "$t not found" >&2; exit 1; }; done
if [ "$UMOCI" = 1 ] && ! { command -v umoci && command -v skopeo; } >/dev/null; then
	echo "umoci or skopeo not found: comparing nothing (UMOCI=0 to run ybuild alone)" >&2
	exit 1
fi

go build -o "$work/bin/ybuild" ./cmd/ybuild
go build -o "$work/bin/benchreg" ./bench/benchreg
yb=$work/bin/ybuild
has_cache_repo=0
if "$yb" build --help 2>&1 | grep -q -- --cache-repo; then has_cache_repo=1; fi

# --- the registry --------------------------------------------------------
rm -f "$work/addr"
"$work/bin/benchreg" -serve "$work/registry" -addr-file "$work/addr" &
regpid=$!
for _ in $(seq 100); do [ -s "$work/addr" ] && break; sleep 0.1; done
REG=$(cat "$work/addr")

# --- the fixture ---------------------------------------------------------
fix=$work/fixture-$FILES-$FILE_KB-$BIG_MB-$BIG
if [ ! -d "$fix/app" ]; then
	rm -rf "$fix"
	textflag=""
	if [ "$BIG" = text ]; then textflag=-big-text; fi
	"$work/bin/benchreg" -gen "$fix/app" -files "$FILES" -file-kb "$FILE_KB" -big-mb "$BIG_MB" $textflag
fi
base=$work/base-$BASE_MB
if [ ! -d "$base/data" ]; then
	rm -rf "$base"
	"$work/bin/benchreg" -gen-base "$base/data" -base-mb "$BASE_MB"
	mkdir -p "$base/rootfs/bin" "$base/rootfs/etc"
	cp /bin/busybox "$base/rootfs/bin/busybox"
	for a in sh ls cat echo; do ln -s busybox "$base/rootfs/bin/$a"; done
	echo "root:x:0:0:root:/root:/bin/sh" >"$base/rootfs/etc/passwd"
fi
cat >"$base/build.yaml" <<YAML
apiVersion: ybuild/v1
name: base
base: scratch
created: "2026-01-01T00:00:00Z"
layers:
  - name: busybox
    files: [{src: rootfs, dst: /}, {dst: /tmp, dir: true, mode: "1777"}]
  - files: [{src: data/layer2, dst: /opt/base/2}]
  - files: [{src: data/layer3, dst: /opt/base/3}]
  - files: [{src: data/layer4, dst: /opt/base/4}]
config: {cmd: [sh]}
YAML
"$yb" -f "$base/build.yaml" --progress quiet --cache-dir "$work/basecache" \
	--insecure-registry "$REG" -o "docker://$REG/bench/base:1" >/dev/null

cat >"$fix/build.yaml" <<YAML
apiVersion: ybuild/v1
name: app
base: $REG/bench/base:1
created: "2026-01-01T00:00:00Z"
layers:
  - name: app
    files: [{src: app, dst: /app}]
config:
  entrypoint: [/app/run]
  env: {APP_MODE: bench}
  workdir: /app
  ports: ["8080/tcp"]
  labels: {org.example.bench: "1"}
YAML
echo "fixture: $(du -sm "$fix/app" | cut -f1) MB app ($FILES files of $FILE_KB KiB, big.bin $BIG_MB MiB $BIG), base $(du -sm "$work/registry" | cut -f1) MB in the registry, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ybuild flags: ${YB_FLAGS:-(defaults)}"
echo "tools: $("$yb" version 2>/dev/null | head -n1 || echo ybuild), $(umoci --version 2>/dev/null || true), $(skopeo --version 2>/dev/null || true)"
cat "$fix/app/files"/*/* "$fix/app/big.bin" >/dev/null # warm the page cache

# --- measuring -----------------------------------------------------------
res=$work/results
: >"$res"
# measure CASE TOOL COMMAND...: one run; appends "case tool wall cpu rss_kb rchar".
measure() {
	local c=$1 tool=$2
	shift 2
	sync # earlier runs' dirty pages are written back now, not during this run
	/usr/bin/time -f "%e %U %S %M" -o "$work/time" bash -c '"$@" >/dev/null 2>"$0.err" && grep ^rchar /proc/$$/io >"$0.io"' "$work/run" "$@" ||
		{ echo "$c $tool failed:" >&2; cat "$work/run.err" >&2; exit 1; }
	read -r wall u s rss <"$work/time"
	rchar=$(awk '{print $2}' "$work/run.io")
	echo "$c $tool $wall $(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.2f", u+s}') $rss $rchar" >>"$res"
}

ybcache=$work/ybcache
cacherepo=()
seedkey=()
if [ "$has_cache_repo" = 1 ]; then cacherepo=(--cache-repo "$REG/bench/cache-$$"); fi
if [ "${SIGNED:-0}" = 1 ]; then
	openssl genpkey -algorithm ed25519 -out "$work/cache.key" 2>/dev/null
	openssl pkey -in "$work/cache.key" -pubout -out "$work/cache.pub"
	seedkey=(--cache-sign-key "$work/cache.key")
	cacherepo+=(--cache-trust-key "$work/cache.pub")
fi
# shellcheck disable=SC2206 # YB_FLAGS is a list of words
ybo=("$yb" build -f "$fix/build.yaml" --progress quiet --insecure-registry "$REG" $YB_FLAGS)

um_build() { # LAYOUT: skopeo pull, umoci insert + config
	skopeo copy --quiet --src-tls-verify=false "docker://$REG/bench/base:1" "oci:$1:base" &&
		umoci insert --image "$1:base" --tag app "$fix/app" /app &&
		umoci config --image "$1:app" --config.entrypoint /app/run --config.env APP_MODE=bench \
			--config.workingdir /app --config.exposedports 8080/tcp --config.label org.example.bench=1
}
um_push() { # LAYOUT REPO
	um_build "$1" && skopeo copy --quiet --dest-tls-verify=false "oci:$1:app" "docker://$REG/$2:1"
}
export -f um_build um_push
export REG fix

fresh_copy() { # a new checkout: new inodes, mtimes and ctimes
	rm -rf "$fix/app.new" && cp -r "$fix/app" "$fix/app.new" && rm -rf "$fix/app" && mv "$fix/app.new" "$fix/app"
}

run_case() { # CASE RUN-NUMBER
	local c=$1 i=$2 kind=${1%%-*} mode=${1#*-}
	local out=$work/out-$kind dest
	mkdir -p "$out"
	case $kind in
	oci) dest="oci:$out/yb:app" ;;
	push) dest="docker://$REG/bench/yb-$mode-$$-$i:1" ;;
	esac
	case $mode in
	cold)
		rm -rf "$ybcache" "$out" && mkdir -p "$out"
		measure "$c" ybuild "${ybo[@]}" --cache-dir "$ybcache" -o "$dest"
		if [ "$UMOCI" = 1 ]; then
			rm -rf "$out/um"
			if [ "$kind" = oci ]; then measure "$c" umoci bash -c 'um_build "$0"' "$out/um"
			else measure "$c" umoci bash -c 'um_push "$0" "$1"' "$out/um" "bench/um-cold-$$-$i"; fi
		fi ;;
	warm | touch)
		[ "$kind" = push ] && dest="docker://$REG/bench/yb-warm:1"
		if [ ! -d "$ybcache" ] || [ "$i" = 1 ]; then
			# The build that writes the blobs, then the first rebuild, which
			# hashes each blob once (a file changed in the clock tick of its
			# record is not trusted from it): warm measures the rebuilds after.
			"${ybo[@]}" --cache-dir "$ybcache" -o "$dest" >/dev/null
			"${ybo[@]}" --cache-dir "$ybcache" -o "$dest" >/dev/null
		fi
		if [ "$mode" = touch ]; then find "$fix/app" -exec touch {} +; fi
		measure "$c" ybuild "${ybo[@]}" --cache-dir "$ybcache" -o "$dest"
		if [ "$UMOCI" = 1 ] && [ "$mode" = warm ]; then
			if [ ! -d "$out/um" ] || [ "$i" = 1 ]; then
				if [ "$kind" = oci ]; then bash -c 'um_build "$0"' "$out/um" >/dev/null
				else bash -c 'um_push "$0" bench/um-warm' "$out/um" >/dev/null; fi
			fi
			if [ "$kind" = oci ]; then measure "$c" umoci bash -c 'um_build "$0"' "$out/um"
			else measure "$c" umoci bash -c 'um_push "$0" bench/um-warm' "$out/um"; fi
		fi ;;
	fresh)
		[ "$has_cache_repo" = 1 ] || return 0
		if [ "$i" = 1 ]; then # seed the cache repository from another "machine"
			rm -rf "$work/seedcache"
			"${ybo[@]}" --cache-dir "$work/seedcache" "${cacherepo[@]}" "${seedkey[@]}" -o "oci:$work/seed:app" >/dev/null
		fi
		fresh_copy
		rm -rf "$ybcache" "$out" && mkdir -p "$out"
		measure "$c" ybuild "${ybo[@]}" --cache-dir "$ybcache" "${cacherepo[@]}" -o "$dest" ;;
	esac
}

for c in $CASES; do
	for i in $(seq "$RUNS"); do run_case "$c" "$i"; done
done

# --- the table -----------------------------------------------------------
median() { sort -n | awk '{a[NR]=$1} END{if (NR==0) print "-"; else if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }
col() { awk -v c="$1" -v t="$2" -v k="$3" '$1==c && $2==t {print $k}' "$res" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (a=="-"||b=="-"||b==0) print "-"; else printf "%.2f", a/b}'; }
unit() { if [ "$1" = - ]; then echo -; else echo "$1$2"; fi; } # VALUE UNIT: "-" stays "-"
printf "\n%-11s | %8s %8s %9s %11s | %8s %8s %9s | %6s %6s\n" case "yb wall" "yb cpu" "yb rss" "yb read" "um wall" "um cpu" "um rss" "wall×" "cpu×"
for c in $CASES; do
	kind=${c%%-*} mode=${c#*-}
	ref=$c
	case $mode in touch) ref=$kind-warm ;; fresh) ref=$kind-cold ;; esac
	yw=$(col "$c" ybuild 3); yc=$(col "$c" ybuild 4); yr=$(col "$c" ybuild 5); yio=$(col "$c" ybuild 6)
	uw=$(col "$ref" umoci 3); uc=$(col "$ref" umoci 4); ur=$(col "$ref" umoci 5)
	[ "$yw" = - ] && continue
	printf "%-11s | %7ss %7ss %6s MB %8s MB | %8s %8s %9s | %6s %6s\n" "$c" "$yw" "$yc" \
		"$(awk -v k="$yr" 'BEGIN{printf "%d", k/1024}')" "$(awk -v b="$yio" 'BEGIN{printf "%.1f", b/1048576}')" \
		"$(unit "$uw" s)" "$(unit "$uc" s)" "$(unit "$( [ "$ur" = - ] && echo - || awk -v k="$ur" 'BEGIN{printf "%d", k/1024}')" " MB")" \
		"$(ratio "$yw" "$uw")" "$(ratio "$yc" "$uc")"
done
kept="raw runs in $res"
if [ -z "${WORK:-}" ]; then kept="raw runs removed with the work directory: set WORK=DIR to keep them"; fi
echo "(medians of $RUNS runs; wall× and cpu× are ybuild/umoci+skopeo; touch compares with umoci warm, fresh with umoci cold; $kept)"
