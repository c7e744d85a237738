#!/bin/sh
# replay.sh FUZZER...: runs each libFuzzer binary once over every file of its
# seed corpus, tests/fuzz/corpus/NAME for build-fuzz/fuzz_NAME (files given
# as arguments are executed once each; nothing is fuzzed or written). This is
# the cheap regression check "make check" runs: every seed, and every crash
# input ever added to a corpus, must still pass.
#
# Prints per target how many inputs were replayed and ends with one line
# "fuzz-replay: N passed, N failed" (N counts targets). Exit status 0 only if
# every target replayed its whole corpus without a failure.
# FUZZ_CORPUS=DIR replays DIR/NAME instead of tests/fuzz/corpus/NAME.
set -u

here=$(cd "$(dirname "$0")" && pwd)
corpus_root=${FUZZ_CORPUS:-$here/corpus}
passed=0
failed=0
log=$(mktemp "${TMPDIR:-/tmp}/fuzz-replay.XXXXXX") || exit 2
trap 'rm -f "$log"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
	echo "$1: $2"
	failed=$((failed + 1))
}

if [ $# -eq 0 ]; then
	echo "usage: replay.sh FUZZER..." >&2
	echo "fuzz-replay: 0 passed, 0 failed"
	exit 2
fi

for bin in "$@"; do
	name=$(basename "$bin")
	name=${name#fuzz_}
	dir=$corpus_root/$name
	if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
		fail "$name" "no fuzzer at $bin"
		continue
	fi
	files=0
	for f in "$dir"/*; do
		[ -f "$f" ] && files=$((files + 1))
	done
	if [ "$files" -eq 0 ]; then
		fail "$name" "no seed files in $dir"
		continue
	fi
	"$bin" -runs=0 -timeout=25 "$dir"/* >"$log" 2>&1
	rc=$?
	ran=$(grep -c '^Executed ' "$log")
	if [ "$rc" -ne 0 ] || [ "$ran" -ne "$files" ]; then
		fail "$name" "replayed $ran of $files inputs, exit status $rc"
		tail -n 40 "$log" | sed 's/^/    /'
		continue
	fi
	echo "$name: replayed $ran of $files inputs: ok"
	passed=$((passed + 1))
done

echo "fuzz-replay: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
