#!/bin/sh
# run-unit.sh BINARY...: runs each cmocka unit-test binary, lets cmocka print
# its own report, and ends with one line "unit: N passed, N failed" where N
# counts tests summed over all binaries. A binary that crashes, or exits
# non-zero without cmocka having reported a failed test (a sanitizer report
# at exit, say), counts as one more failure. Exit status 0 only if nothing
# failed.
#
# cmocka prints its PASSED/FAILED summary on stderr and the rest on stdout,
# so both are read. Skipped tests are counted and reported separately.
set -u

passed=0
failed=0
skipped=0
out=$(mktemp "${TMPDIR:-/tmp}/run-unit.XXXXXX") || exit 2
trap 'rm -f "$out" "$out.rc"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The sum of the numbers in the "[  WORD  ] N test(s)" summary lines of $out.
count() {
	sed -n "s/^\\[  $1 *\\] \\([0-9][0-9]*\\) test(s).*/\\1/p" "$out" |
		awk '{ n += $1 } END { print n + 0 }'
}

if [ $# -eq 0 ]; then
	echo "usage: run-unit.sh TEST-BINARY..." >&2
	echo "unit: 0 passed, 0 failed"
	exit 2
fi

for bin in "$@"; do
	if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
		echo "run-unit: $bin: no such executable"
		failed=$((failed + 1))
		continue
	fi
	# The pipeline's status is tee's, so the binary's own goes through a file.
	{
		CMOCKA_MESSAGE_OUTPUT=STDOUT "$bin" 2>&1
		echo $? >"$out.rc"
	} | tee "$out"
	rc=$(cat "$out.rc" 2>/dev/null || echo 255)
	p=$(count PASSED)
	f=$(count FAILED)
	s=$(count SKIPPED)
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		if [ "$rc" -gt 128 ]; then
			echo "run-unit: $bin: killed by signal $((rc - 128))"
		else
			echo "run-unit: $bin: exited with status $rc (crash or sanitizer report?)"
		fi
		failed=$((failed + 1))
	elif [ "$rc" -eq 0 ] && [ "$p" -eq 0 ] && [ "$s" -eq 0 ]; then
		echo "run-unit: $bin: ran no tests (not a cmocka binary?)"
		failed=$((failed + 1))
	fi
done

if [ "$skipped" -gt 0 ]; then
	echo "unit: $skipped skipped"
fi
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
