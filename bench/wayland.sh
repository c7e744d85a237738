# The Wayland rows of the bench, sourced by bench/run.sh (after lib.sh and
# bench/latency.sh): typing, scroll and full on sway (headless, wlroots'
# pixman renderer, tests/e2e/wayland_lib.sh) shared by handoff-helper with
# --capture wayland, which on sway is the wlroots screen copy; beside them
# the same workloads on Xvfb shared by the X11 backend, in the same run, so
# both sit under the same load; then the same workloads on GNOME (mutter
# headless with xdg-desktop-portal-gnome) shared through the portal and
# PipeWire (--capture portal), the portal's dialog answered Share for every
# helper through AT-SPI (tests/tools/portal_dialog.py), in place of sway's
# desktop on the same kind of private bus. All go helper -> handoff-relay ->
# ssh -L -> vncmeter; the Wayland workload is tests/tools/wlworkload.c, the
# same frames as tests/tools/workload.c drawn through wl_shm, 1280x800 on
# all three. BENCH_WL_GNOME=0 leaves GNOME out.
#
# Not the portal on sway: there it is xdg-desktop-portal-wlr, which (0.7.0)
# starts no stream without DMA-BUF, that is without a GPU (see
# test_wayland.sh). See docs/performance.md.

WL_BENCH_WORKLOADS=${BENCH_WL_WORKLOADS:-typing scroll full}

wayland_bench() {
	if ! command -v sway >/dev/null 2>&1 || [ ! -x /usr/libexec/xdg-desktop-portal-wlr ]; then
		echo "wayland: skipped, sway or its portal is not installed (sh scripts/deps.sh)"
		return 0
	fi
	. "$ROOT/tests/e2e/wayland_lib.sh"
	local LAT_ROWS="$E2E_TMP/wayland.rows" LAT_BPF=1 wl sys
	: >"$LAT_ROWS"
	[ -n "${XDISPLAY:-}" ] || start_xvfb 1280 800
	local before=$E2E_PIDS
	start_wayland 1280 800
	echo
	echo "wayland: ${LAT_SECONDS} s per workload, sway headless 1280x800 beside Xvfb 1280x800, loopback"
	for wl in $WL_BENCH_WORKLOADS; do
		for sys in "handoff" "handoff wayland (wlr)"; do
			lat_row "$sys" "$wl"
		done
	done
	WL_ROWS=$LAT_ROWS
	[ "${BENCH_WL_GNOME:-1}" = 1 ] || return 0
	if ! command -v mutter >/dev/null 2>&1 || [ ! -x /usr/libexec/xdg-desktop-portal-gnome ]; then
		echo "wayland: GNOME skipped, mutter or its portal is not installed (sh scripts/deps.sh)"
		return 0
	fi
	# sway's desktop down (what start_wayland started), GNOME's up in its place.
	local pid
	# shellcheck disable=SC2086
	stop_pids ${E2E_PIDS#"$before"}
	for pid in ${E2E_PIDS#"$before"}; do wait "$pid" 2>/dev/null; done
	rm -rf "$WL_DIR"
	start_gnome 1280 800
	echo "wayland: GNOME, mutter headless 1280x800, the portal's dialog answered Share for every helper"
	LAT_WL_CAPTURE=portal LAT_WL_DIALOG=wayland_share
	for wl in $WL_BENCH_WORKLOADS; do
		lat_row "handoff wayland (portal, GNOME)" "$wl"
	done
	LAT_WL_CAPTURE="" LAT_WL_DIALOG=""
}

# wayland_share: Share at GNOME's dialog, the way a person would (through AT-SPI).
wayland_share() {
	wl_as python3 "$WL_PORTAL_DIALOG" share 30 >>"$E2E_TMP/dialog.out" 2>"$E2E_TMP/dialog.err" ||
		fail "could not answer the portal's dialog: $(tail -3 "$E2E_TMP/dialog.err")"
}

wayland_table() {
	echo "| system | workload | latency p50 ms | p95 ms | frames/s | KB/s on the wire | CPU sharing side % | CPU relay % | relay peak RSS MB | final PSNR dB | exact pixels % | settled ms | bytes per frame |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
	cat "$WL_ROWS"
}
