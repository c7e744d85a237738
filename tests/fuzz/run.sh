#!/bin/sh
# run.sh SECONDS FUZZER...: fuzzes each libFuzzer binary for SECONDS
# (-max_total_time), starting from its seed corpus tests/fuzz/corpus/NAME.
#
# New inputs go into a scratch copy of the corpus, so the tree is not
# touched, unless FUZZ_MERGE=1: then the scratch corpus is merged back into
# tests/fuzz/corpus/NAME with -merge=1 (only inputs adding coverage are
# kept). A crash, leak, timeout or OOM input is copied to
# DIR-OF-FUZZER/artifacts/NAME/ (e.g. build-fuzz/artifacts/ctl/) and named in
# the output; add it to the corpus once the bug is fixed so replay.sh keeps
# checking it. FUZZ_FLAGS adds libFuzzer flags (e.g. "-max_len=70000").
#
# Prints per target the executions (libFuzzer's "Done N runs") and crashes
# found, and ends with one line "fuzz: N passed, N failed" (N counts
# targets). Exit status 0 only if no target found anything.
set -u

here=$(cd "$(dirname "$0")" && pwd)
corpus_root=${FUZZ_CORPUS:-$here/corpus}
passed=0
failed=0
scratch=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-run.XXXXXX") || exit 2
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ $# -lt 2 ]; then
	echo "usage: run.sh SECONDS FUZZER..." >&2
	echo "fuzz: 0 passed, 0 failed"
	exit 2
fi
seconds=$1
shift
case $seconds in
'' | *[!0-9]* | 0)
	echo "run.sh: SECONDS must be a positive whole number, not \"$seconds\"" >&2
	echo "fuzz: 0 passed, $# failed"
	exit 2
	;;
esac

count_files() {
	n=0
	for f in "$1"/*; do
		[ -f "$f" ] && n=$((n + 1))
	done
	echo "$n"
}

for bin in "$@"; do
	name=$(basename "$bin")
	name=${name#fuzz_}
	seeds=$corpus_root/$name
	work=$scratch/$name
	log=$work/log
	if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
		echo "$name: no fuzzer at $bin"
		failed=$((failed + 1))
		continue
	fi
	mkdir -p "$work/corpus" "$work/artifacts"
	if [ -d "$seeds" ] && [ "$(count_files "$seeds")" -gt 0 ]; then
		cp "$seeds"/* "$work/corpus/"
	fi
	# FUZZ_FLAGS is split into words on purpose.
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$seconds" -timeout=25 -print_final_stats=1 \
		-artifact_prefix="$work/artifacts/" ${FUZZ_FLAGS:-} "$work/corpus" >"$log" 2>&1
	rc=$?

	runs=$(sed -n 's/^Done \([0-9][0-9]*\) runs in .*/\1/p' "$log" | tail -n 1)
	if [ -z "$runs" ]; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9][0-9]*\).*/\1/p' "$log" |
			tail -n 1)
	fi
	[ -n "$runs" ] || runs=unknown
	crashes=0
	for f in "$work/artifacts"/crash-* "$work/artifacts"/leak-* \
		"$work/artifacts"/timeout-* "$work/artifacts"/oom-*; do
		[ -f "$f" ] || continue
		crashes=$((crashes + 1))
		keep=$(dirname "$bin")/artifacts/$name
		mkdir -p "$keep"
		cp "$f" "$keep/"
		echo "$name: found $keep/$(basename "$f")"
	done
	new=$(($(count_files "$work/corpus") - $(count_files "$seeds")))

	if [ "${FUZZ_MERGE:-0}" = 1 ] && [ "$crashes" -eq 0 ]; then
		mkdir -p "$seeds"
		before=$(count_files "$seeds")
		if "$bin" -merge=1 "$seeds" "$work/corpus" >"$log.merge" 2>&1; then
			echo "$name: merged $(($(count_files "$seeds") - before)) inputs into $seeds"
		else
			echo "$name: merge into $seeds failed"
			tail -n 20 "$log.merge" | sed 's/^/    /'
			rc=1
		fi
	fi

	if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
		echo "$name: $runs executions, $crashes crashes, exit status $rc: FAILED"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -n 5 |
			sed 's/^/    /'
		failed=$((failed + 1))
	else
		echo "$name: $runs executions, $crashes crashes, $new new corpus inputs: ok"
		passed=$((passed + 1))
	fi
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
