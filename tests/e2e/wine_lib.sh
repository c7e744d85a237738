# Debian's Wine for the Windows helper (issue 16), shared by tests/e2e/test_windows.sh and the
# bench's Windows rows (bench/windows.sh). Sourced after lib.sh, with Xvfb started (XDISPLAY).
#
# A Wine prefix is ~700 MB and wineboot takes 10 s or more: kept outside the clone, one per
# Wine version and user, used by one test at a time (the lock, on fd 4), made again when
# unfinished. Wine that cannot run is a failure with its reason, never a skip.

# start_wine: exports DISPLAY, WINEDEBUG and WINEPREFIX (made once, then locked for this
# script) and sets WINE_VERSION; the EXIT trap then also stops this prefix's wineserver and all
# it runs.
start_wine() {
	local cache start
	command -v wine >/dev/null ||
		fail "Wine is not installed (scripts/deps.sh lists wine and wine64: run make deps)"
	export DISPLAY=$XDISPLAY WINEDEBUG=-all
	cache=${HANDOFF_WINE_CACHE:-/var/cache/handoff/wine}
	mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ] || cache=$E2E_TMP/wine
	mkdir -p "$cache" || fail "cannot make $cache"
	WINE_VERSION=$(wine --version 2>/dev/null) || fail "wine --version fails: Wine cannot run here"
	WINE_VERSION=$(echo "$WINE_VERSION" | tr -c 'A-Za-z0-9.\n' '_')
	export WINEPREFIX="$cache/$WINE_VERSION-$(id -u)"
	exec 4>"$WINEPREFIX.lock"
	flock -w 280 4 || fail "another test holds the Wine prefix $WINEPREFIX"
	trap wine_cleanup EXIT
	if [ ! -f "$WINEPREFIX/.handoff-ready" ]; then
		rm -rf "$WINEPREFIX"
		start=$(date +%s)
		wine wineboot -i >"$E2E_TMP/wineboot.log" 2>&1 || fail "wineboot failed: $(tail -5 "$E2E_TMP/wineboot.log")"
		wineserver -w
		touch "$WINEPREFIX/.handoff-ready"
		note "Wine prefix made in $(($(date +%s) - start)) s: $WINEPREFIX"
	fi
}

wine_cleanup() {
	wineserver -k 2>/dev/null || true
	e2e_cleanup
}
