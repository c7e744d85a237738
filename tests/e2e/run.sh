#!/bin/sh
# Runs every end-to-end test against one build (default build-asan: the
# sanitizer build, so LeakSanitizer checks the relay at each clean exit).
set -u
BUILD=${1:-build-asan}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export BIN="$ROOT/$BUILD/bin" TOOLS="$ROOT/$BUILD/tests"
export LSAN_OPTIONS="suppressions=$ROOT/tests/e2e/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1"
passed=0
failed=0
for t in "$ROOT"/tests/e2e/test_*.sh; do
	name=$(basename "$t" .sh)
	echo "e2e: $name"
	start=$(date +%s)
	if timeout 300 bash "$t"; then
		passed=$((passed + 1))
		echo "e2e: $name passed ($(($(date +%s) - start)) s)"
	else
		failed=$((failed + 1))
		echo "e2e: $name FAILED ($(($(date +%s) - start)) s)"
	fi
done
echo "e2e: $passed passed, $failed failed"
[ "$failed" = 0 ]
