#!/usr/bin/env bash
# run-fuzz.sh BUILD_DIR SECONDS - run every libFuzzer target built in
# BUILD_DIR/tests/fuzz for SECONDS each, over a copy of its seed corpus
# (tests/fuzz/corpus/<target>/) in a temporary directory, so the tree is
# never written to, with tests/fuzz/<target>.dict as its dictionary when
# there is one.  Prints one line per target:
#   fuzz_benc: ok, 1234567 runs in 60 s (20576 exec/s), corpus 312 inputs
# or, when the target crashed, leaked, timed out or ran out of memory, a
# line saying FAILED, with the inputs that did it copied to
# BUILD_DIR/fuzz-artifacts/<target>/ and the end of the log on stderr.
# Exits non-zero if any target failed.
#
# FUZZ_RUNS=N stops each target after N executions (SECONDS stays the cap;
# a target that reaches neither says how far it got), for the long runs
# noted in the README:  FUZZ_RUNS=10000000 scripts/run-fuzz.sh build-fuzz 7200
# FUZZ_ONLY="benc http" runs only those targets (names without fuzz_), in
# that order.
#
# Build the targets first:
#   CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
#   ninja -C build-fuzz
set -u

if [ $# -ne 2 ] || ! [ "$2" -gt 0 ] 2>/dev/null; then
	echo "usage: $0 BUILD_DIR SECONDS" >&2
	exit 2
fi
build=$(cd "$1" 2>/dev/null && pwd) || { echo "$0: no directory $1" >&2; exit 2; }
secs=$2
root=$(cd "$(dirname "$0")/.." && pwd)

targets=()
if [ -n "${FUZZ_ONLY:-}" ]; then	# in the order given
	for name in $FUZZ_ONLY; do
		exe=$build/tests/fuzz/fuzz_$name
		[ -f "$exe" ] && [ -x "$exe" ] && targets+=("$exe")
	done
else
	for exe in "$build"/tests/fuzz/fuzz_*; do
		[ -f "$exe" ] && [ -x "$exe" ] && targets+=("$exe")
	done
fi
if [ ${#targets[@]} -eq 0 ]; then
	echo "$0: no fuzz targets in $build/tests/fuzz (configure with -Dfuzz=true, then ninja)" >&2
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bt-fuzz-XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

# Reports use the sanitizers' own exit codes; leaks count as failures.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

status=0
for exe in "${targets[@]}"; do
	name=$(basename "$exe")
	work=$tmp/$name
	mkdir -p "$work/corpus" "$work/artifacts"
	if [ -d "$root/tests/fuzz/corpus/$name" ]; then
		cp -R "$root/tests/fuzz/corpus/$name/." "$work/corpus/"
	fi
	dict=()
	[ -f "$root/tests/fuzz/$name.dict" ] && dict=(-dict="$root/tests/fuzz/$name.dict")
	log=$work/log
	limit=()
	[ -n "${FUZZ_RUNS:-}" ] && limit=(-runs="$FUZZ_RUNS")
	t0=$SECONDS
	"$exe" -max_total_time="$secs" ${limit[@]+"${limit[@]}"} -timeout=30 -print_final_stats=1 \
		${dict[@]+"${dict[@]}"} -artifact_prefix="$work/artifacts/" "$work/corpus" >"$log" 2>&1
	rc=$?
	took=$((SECONDS - t0))
	runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *\([0-9]*\).*/\1/p' "$log" | tail -1)
	ninputs=$(find "$work/corpus" -type f | wc -l)
	nart=$(find "$work/artifacts" -type f | wc -l)
	if [ "$rc" -eq 0 ] && [ "$nart" -eq 0 ]; then
		echo "$name: ok, ${runs:-?} runs in $took s (${eps:-?} exec/s), corpus $ninputs inputs"
	else
		keep=$build/fuzz-artifacts/$name
		mkdir -p "$keep"
		cp -R "$work/artifacts/." "$keep/" 2>/dev/null
		cp "$log" "$keep/log"
		echo "$name: FAILED (exit $rc) after ${runs:-?} runs; $nart input(s) in $keep"
		{
			echo "---- $name: end of the log ($keep/log)"
			tail -40 "$log"
		} >&2
		status=1
	fi
done
exit $status
