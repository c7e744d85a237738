# The Windows rows of the bench (BENCH_PARTS=windows), sourced by bench/run.sh
# (after lib.sh and bench/latency.sh): typing, scroll and full shared by
# handoff-helper.exe (make windows) under Debian's Wine, beside the same
# workloads shared by the Linux helper's X11 backend, on the same Xvfb
# 1280x800, in one run, so both sit under the same load. Both go helper ->
# handoff-relay -> ssh -L -> vncmeter. The Windows workload is
# tests/tools/win/winworkload.exe, the frames of tests/tools/workload.c drawn
# with GDI; the .exe captures with GDI (capture_win32.c), Wine drawing its
# windows on the same X server.
#
# What the rows are and are not: Wine's GDI on X, not Windows' Desktop
# Duplication nor its compositor, on a machine without a GPU; the sharing
# side's CPU is the .exe's process (Wine's wineserver, which both Wine
# programs use, is not counted; nor is the X server, in any row). See
# docs/performance.md.
#
# The clocks: winworkload's CLOCK_MONOTONIC is winpthreads' reading of
# QueryPerformanceCounter, which Wine 8 takes from Linux's
# CLOCK_MONOTONIC_RAW; the meter's is CLOCK_MONOTONIC. The two differ by a
# constant (NTP's slewing since boot, hundreds of ms after hours) that moves
# by parts per million: measured after each run (lat_wine_frames) and added.

WIN_BENCH_WORKLOADS=${BENCH_WIN_WORKLOADS:-typing scroll full}
WIN=$ROOT/build/win64

windows_bench() {
	if ! command -v wine >/dev/null 2>&1 || ! command -v x86_64-w64-mingw32-gcc-posix >/dev/null 2>&1; then
		echo "windows: skipped, Wine or mingw-w64 is not installed (sh scripts/deps.sh)"
		return 0
	fi
	# A machine's first make windows builds the mingw libraries (scripts/mingw-deps.sh), once.
	make -C "$ROOT" --no-print-directory windows >"$E2E_TMP/make-windows.log" 2>&1 ||
		fail "make windows failed: $(tail -5 "$E2E_TMP/make-windows.log")"
	. "$ROOT/tests/e2e/wine_lib.sh"
	local LAT_ROWS="$E2E_TMP/windows.rows" LAT_BPF=1 wl sys
	: >"$LAT_ROWS"
	[ -n "${XDISPLAY:-}" ] || start_xvfb 1280 800
	start_wine
	echo
	echo "windows: ${LAT_SECONDS} s per workload, handoff-helper.exe under $WINE_VERSION beside the Linux helper, Xvfb 1280x800, loopback"
	for wl in $WIN_BENCH_WORKLOADS; do
		for sys in "handoff" "handoff windows (Wine)"; do
			lat_row "$sys" "$wl"
		done
	done
	WIN_ROWS=$LAT_ROWS
}

# start_win_helper CODE NAME: handoff-helper.exe under Wine, as start_helper starts the Linux one.
start_win_helper() {
	HELPER_OUT="$E2E_TMP/$2.out"
	HELPER_IN="$E2E_TMP/$2.in"
	rm -f "$HELPER_IN"
	mkfifo "$HELPER_IN"
	wine "$WIN/handoff-helper.exe" --relay "$RELAY_HOST:$RELAY_PORT" --host-key "$RELAY_FP" --code "$1" \
		--ui tty <"$HELPER_IN" >"$HELPER_OUT" 2>"$E2E_TMP/$2.log" &
	HELPER_PID=$!
	track $HELPER_PID
	exec 7>"$HELPER_IN"
}

# lat_wine_frames IN OUT: winworkload's frame times (CLOCK_MONOTONIC_RAW) on CLOCK_MONOTONIC.
lat_wine_frames() {
	local off
	off=$(python3 -c 'import time
r0 = time.clock_gettime_ns(time.CLOCK_MONOTONIC_RAW)
m = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
r1 = time.clock_gettime_ns(time.CLOCK_MONOTONIC_RAW)
print(m - (r0 + r1) // 2)') || fail "cannot read the clocks"
	[ -s "$1" ] || fail "winworkload wrote no frame times to $1"
	awk -v off="$off" '{printf "%s %.0f\n", $1, $2 + off}' "$1" >"$2"
}

windows_table() {
	echo "| system | workload | latency p50 ms | p95 ms | frames/s | KB/s on the wire | CPU sharing side % | CPU relay % | relay peak RSS MB | final PSNR dB | exact pixels % | settled ms | bytes per frame |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
	cat "$WIN_ROWS"
}
