# A real headless Wayland desktop for the end-to-end tests, sourced after
# lib.sh: a private D-Bus session bus, PipeWire and WirePlumber, sway on its
# headless backend, xdg-desktop-portal with xdg-desktop-portal-wlr. All of it
# lives in $WL_DIR (XDG_RUNTIME_DIR, config, state), is waited for by what
# it makes (sockets, D-Bus names) and is stopped by lib.sh's cleanup.
#
# sway refuses to start as root (it cannot drop privileges it never had to
# keep), so as root (CI) the whole desktop, and the helper that shares it,
# runs as nobody: that is also what a customer's desktop is, a user's.

# The desktop's environment, given only to what runs in the desktop (wl_as): the relay and
# the technician's viewer keep the test's own.
WL_ENV=()

# wl_as COMMAND...: runs COMMAND in the desktop, as its user (nobody when we are root).
wl_as() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups -- env "${WL_ENV[@]}" "$@"
	else
		env "${WL_ENV[@]}" "$@"
	fi
}

# wl_exec COMMAND...: wl_as for what runs in the background (wl_exec ... &): the subshell
# becomes COMMAND, so $! is its pid, for signals and for the cleanup's kill.
wl_exec() {
	if [ "$(id -u)" = 0 ]; then
		exec setpriv --reuid=nobody --regid=nogroup --clear-groups -- env "${WL_ENV[@]}" "$@"
	else
		exec env "${WL_ENV[@]}" "$@"
	fi
}

# wl_name_owned NAME: the session bus has an owner for NAME.
wl_name_owned() {
	wl_as gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
		--method org.freedesktop.DBus.NameHasOwner "$1" 2>/dev/null | grep -q true
}

wl_pw_has_metadata() {
	wl_as pw-cli ls Metadata 2>/dev/null | grep -q default
}

# wl_sway_has_output [NAME]: sway lists output NAME (HEADLESS-1) as active.
wl_sway_has_output() {
	wl_as swaymsg -t get_outputs 2>/dev/null | grep -q "\"${1:-HEADLESS-1}\""
}

# wl_loop_asleep PID: PID's main thread sleeps in poll(2) with no timeout, so only one of its
# descriptors can wake it: a test makes a change on screen then to see that the change alone
# wakes the helper. /proc/PID/syscall names the call and its arguments (x86_64's numbers: poll
# is 7, its third argument the timeout); elsewhere, or where the file cannot be read, this is
# always true and proves less.
wl_loop_asleep() {
	local call
	[ "$(uname -m)" = x86_64 ] || return 0
	kill -0 "$1" 2>/dev/null || return 1
	# Unreadable (a kernel that keeps it from us): nothing can be told, go on.
	read -r -a call <"/proc/$1/syscall" 2>/dev/null || return 0
	# The timeout is an int: -1 shows as 0xffffffff.
	[ "${call[0]}" = 7 ] && { [ "${call[3]}" = 0xffffffff ] || [ "${call[3]}" = 0xffffffffffffffff ]; }
}

# wl_socket: the compositor's Wayland socket name in XDG_RUNTIME_DIR, once it is there.
wl_socket() {
	local s
	for s in "$WL_RUN"/wayland-*; do
		case "$s" in *.lock) continue ;; esac
		[ -S "$s" ] && basename "$s" && return 0
	done
	return 1
}

# wl_reach_build: WL_BIN and WL_TOOLS, where the desktop's user can run the helper, wlpattern
# and wlworkload.
# A checkout in a folder nobody cannot enter (root's home) gets copies in WL_DIR, and so does
# LeakSanitizer's suppressions file.
wl_reach_build() {
	local supp
	WL_BIN=$BIN
	WL_TOOLS=$TOOLS
	if ! wl_as test -x "$BIN/handoff-helper" || ! wl_as test -x "$TOOLS/wlpattern"; then
		mkdir -p "$WL_DIR/build/bin" "$WL_DIR/build/tests"
		cp "$BIN/handoff-helper" "$WL_DIR/build/bin/" || fail "cannot copy the helper"
		[ -d "$BIN/../share" ] && cp -r "$BIN/../share" "$WL_DIR/build/"
		cp "$TOOLS/wlpattern" "$WL_DIR/build/tests/" || fail "cannot copy wlpattern"
		# The bench's Wayland workload, where it was built.
		[ -x "$TOOLS/wlworkload" ] && cp "$TOOLS/wlworkload" "$WL_DIR/build/tests/"
		chmod -R a+rX "$WL_DIR/build"
		WL_BIN="$WL_DIR/build/bin"
		WL_TOOLS="$WL_DIR/build/tests"
	fi
	supp=$(printf '%s\n' "${LSAN_OPTIONS:-}" | tr ':' '\n' | sed -n 's/^suppressions=//p')
	if [ -n "$supp" ] && ! wl_as test -r "$supp"; then
		cp "$supp" "$WL_DIR/lsan.supp" && chmod a+r "$WL_DIR/lsan.supp"
		WL_ENV+=(LSAN_OPTIONS="${LSAN_OPTIONS//$supp/$WL_DIR/lsan.supp}")
	fi
}

# wl_session DESKTOP: what every desktop here has: its folders, a private session bus, PipeWire
# and WirePlumber. Sets WL_DIR, WL_RUN (its XDG_RUNTIME_DIR) and WL_ENV for wl_as: those, the
# session bus, HOME and the XDG_* folders, all in WL_DIR; XDG_CURRENT_DESKTOP is DESKTOP.
wl_session() {
	local desktop=$1
	WL_DIR="$E2E_TMP/wl"
	if [ "$(id -u)" = 0 ]; then
		chmod 711 "$E2E_TMP"
		mkdir -p "$WL_DIR"
		chown nobody:nogroup "$WL_DIR"
	else
		mkdir -p "$WL_DIR"
	fi
	WL_RUN="$WL_DIR/run"
	local XDG_CONFIG_HOME="$WL_DIR/config" XDG_STATE_HOME="$WL_DIR/state"
	WL_ENV=(-u DISPLAY -u WAYLAND_DISPLAY HOME="$WL_DIR" XDG_RUNTIME_DIR="$WL_RUN"
		XDG_CONFIG_HOME="$XDG_CONFIG_HOME" XDG_STATE_HOME="$XDG_STATE_HOME" XDG_CACHE_HOME="$WL_DIR/cache"
		XDG_DATA_HOME="$WL_DIR/data" XDG_CURRENT_DESKTOP="$desktop" XDG_SESSION_TYPE=wayland)
	wl_as mkdir -m 0700 "$WL_RUN"
	wl_as mkdir -p "$XDG_CONFIG_HOME" "$XDG_STATE_HOME" "$WL_DIR/cache" "$WL_DIR/data"
	# No service folders: the bus starts nothing by activation (xdg-desktop-portal would start
	# xdg-permission-store and the document portal, children of the bus the cleanup would miss).
	wl_as sh -c "cat >'$WL_DIR/bus.conf'" <<-EOF
		<busconfig>
		  <type>session</type>
		  <listen>unix:path=$WL_RUN/bus</listen>
		  <auth>EXTERNAL</auth>
		  <policy context="default">
		    <allow send_destination="*" eavesdrop="true"/>
		    <allow eavesdrop="true"/>
		    <allow own="*"/>
		  </policy>
		</busconfig>
	EOF
	wl_reach_build

	wl_exec dbus-daemon --config-file="$WL_DIR/bus.conf" --nofork --nopidfile --print-address=3 \
		3>"$WL_DIR/bus.address" >"$WL_DIR/dbus.log" 2>&1 &
	track $!
	wait_for 10 grep -q '^unix:' "$WL_DIR/bus.address" || fail "dbus-daemon did not start: $(cat "$WL_DIR/dbus.log")"
	WL_ENV+=(DBUS_SESSION_BUS_ADDRESS="$(head -1 "$WL_DIR/bus.address")")

	wl_exec pipewire >"$WL_DIR/pipewire.log" 2>&1 &
	track $!
	wait_for 10 test -S "$WL_RUN/pipewire-0" || fail "pipewire did not start: $(tail -5 "$WL_DIR/pipewire.log")"
	wl_exec wireplumber >"$WL_DIR/wireplumber.log" 2>&1 &
	track $!
	# WirePlumber is ready when it is a client of PipeWire and has made its own objects (the
	# session manager's metadata, which streams' links need).
	wait_for 15 wl_pw_has_metadata ||
		fail "wireplumber did not start: $(tail -5 "$WL_DIR/wireplumber.log")"
}

# start_wayland WIDTH HEIGHT [OUTPUTS]: sway's desktop, with one output HEADLESS-1 of WIDTH x
# HEIGHT (OUTPUTS 2: and HEADLESS-2 of the same size to its right), and xdg-desktop-portal with
# xdg-desktop-portal-wlr. Sets what wl_session sets and WL_DISPLAY.
start_wayland() {
	local w=$1 h=$2 outputs=${3:-1} second=""
	wl_session sway
	if [ "$outputs" = 2 ]; then
		second="output HEADLESS-2 mode ${w}x${h} position $w 0"
	fi
	local XDG_CONFIG_HOME="$WL_DIR/config"
	wl_as mkdir -p "$XDG_CONFIG_HOME/sway" "$XDG_CONFIG_HOME/xdg-desktop-portal-wlr"
	# No title bar, border or bar: the test client's fullscreen picture is all the output shows.
	# The pointer (there once the helper makes its virtual one) is drawn into the picture with
	# the pixman renderer whatever the screen copy asks, so sway hides it 50 ms after it moved.
	wl_as sh -c "cat >'$XDG_CONFIG_HOME/sway/config'" <<-EOF
		output HEADLESS-1 mode ${w}x${h} position 0 0
		$second
		xwayland disable
		default_border none
		default_floating_border none
		focus_follows_mouse no
		seat seat0 hide_cursor 50
	EOF
	# chooser_type=none: xdpw shares output_name without asking anyone (sway has no dialog).
	wl_as sh -c "cat >'$XDG_CONFIG_HOME/xdg-desktop-portal-wlr/config'" <<-EOF
		[screencast]
		output_name=HEADLESS-1
		chooser_type=none
		max_fps=30
	EOF

	# No GPU here: wlroots' pixman renderer, and the headless backend with no input devices.
	wl_exec WLR_BACKENDS=headless WLR_HEADLESS_OUTPUTS="$outputs" WLR_LIBINPUT_NO_DEVICES=1 WLR_RENDERER=pixman sway -c "$XDG_CONFIG_HOME/sway/config" >"$WL_DIR/sway.log" 2>&1 &
	WL_SWAY_PID=$!
	track $WL_SWAY_PID
	wait_for 15 wl_socket || fail "sway did not start: $(tail -5 "$WL_DIR/sway.log")"
	WL_DISPLAY=$(wl_socket)
	WL_ENV+=(WAYLAND_DISPLAY="$WL_DISPLAY")
	wait_for 10 sh -c "ls '$WL_RUN'/sway-ipc.*.sock" || fail "sway has no IPC socket"
	WL_ENV+=(SWAYSOCK="$(ls "$WL_RUN"/sway-ipc.*.sock | head -1)")
	wait_for 10 wl_sway_has_output ||
		fail "sway has no output HEADLESS-1: $(tail -5 "$WL_DIR/sway.log")"
	if [ "$outputs" = 2 ]; then
		wait_for 10 wl_sway_has_output HEADLESS-2 ||
			fail "sway has no output HEADLESS-2: $(tail -5 "$WL_DIR/sway.log")"
	fi

	wl_exec /usr/libexec/xdg-desktop-portal-wlr -l DEBUG -c "$XDG_CONFIG_HOME/xdg-desktop-portal-wlr/config" \
		>"$WL_DIR/xdpw.log" 2>&1 &
	track $!
	wait_for 15 wl_name_owned org.freedesktop.impl.portal.desktop.wlr ||
		fail "xdg-desktop-portal-wlr did not start: $(tail -5 "$WL_DIR/xdpw.log")"
	wl_exec /usr/libexec/xdg-desktop-portal -r >"$WL_DIR/portal.log" 2>&1 &
	track $!
	wait_for 15 wl_name_owned org.freedesktop.portal.Desktop ||
		fail "xdg-desktop-portal did not start: $(tail -5 "$WL_DIR/portal.log")"
}

# start_gnome WIDTH HEIGHT: GNOME's compositor, mutter, headless with one virtual monitor of
# WIDTH x HEIGHT and no X11, the accessibility bus (AT-SPI, which lets a test read and press the
# portal's dialog as a screen reader would), xdg-desktop-portal-gnome and xdg-desktop-portal.
# Sets what wl_session sets, WL_DISPLAY and WL_PORTAL_DIALOG (tests/tools/portal_dialog.py, run
# it with wl_as). A third argument, screencast-only, gives xdg-desktop-portal a gnome.portal
# without RemoteDesktop (XDG_DESKTOP_PORTAL_DIR): a desktop whose portal shares the screen only,
# where a session may persist.
start_gnome() {
	local w=$1 h=$2 portal_dir=()
	wl_session GNOME
	# The test's hand at the portal's dialog, where the desktop's user can run it.
	WL_PORTAL_DIALOG="$WL_DIR/portal_dialog.py"
	cp "$(dirname "${BASH_SOURCE[0]}")/../tools/portal_dialog.py" "$WL_PORTAL_DIALOG" && chmod a+rx "$WL_PORTAL_DIALOG" ||
		fail "cannot copy portal_dialog.py"
	# The accessibility bus before any GTK program: GTK asks org.a11y.Bus for it when it starts.
	wl_exec /usr/libexec/at-spi-bus-launcher >"$WL_DIR/atspi.log" 2>&1 &
	track $!
	wait_for 10 wl_name_owned org.a11y.Bus || fail "the accessibility bus did not start: $(tail -5 "$WL_DIR/atspi.log")"
	# mutter's software renderer (no GPU) and no session manager to register with.
	wl_exec mutter --headless --wayland --no-x11 --virtual-monitor "${w}x${h}" >"$WL_DIR/mutter.log" 2>&1 &
	WL_MUTTER_PID=$!
	track $WL_MUTTER_PID
	wait_for 20 wl_socket || fail "mutter did not start: $(tail -5 "$WL_DIR/mutter.log")"
	WL_DISPLAY=$(wl_socket)
	WL_ENV+=(WAYLAND_DISPLAY="$WL_DISPLAY")
	wait_for 20 wl_name_owned org.gnome.Mutter.ScreenCast ||
		fail "mutter offers no ScreenCast: $(tail -5 "$WL_DIR/mutter.log")"
	wait_for 10 wl_name_owned org.gnome.Mutter.RemoteDesktop ||
		fail "mutter offers no RemoteDesktop: $(tail -5 "$WL_DIR/mutter.log")"
	# Where the portal keeps what the customer allowed, the restore tokens' data among it.
	wl_exec /usr/libexec/xdg-permission-store --replace >"$WL_DIR/permission-store.log" 2>&1 &
	track $!
	wait_for 10 wl_name_owned org.freedesktop.impl.portal.PermissionStore ||
		fail "xdg-permission-store did not start: $(tail -5 "$WL_DIR/permission-store.log")"
	wl_exec /usr/libexec/xdg-desktop-portal-gnome >"$WL_DIR/portal-gnome.log" 2>&1 &
	WL_PORTAL_GNOME_PID=$!
	track $WL_PORTAL_GNOME_PID
	wait_for 20 wl_name_owned org.freedesktop.impl.portal.desktop.gnome ||
		fail "xdg-desktop-portal-gnome did not start: $(tail -5 "$WL_DIR/portal-gnome.log")"
	if [ "${3:-}" = screencast-only ]; then
		wl_as mkdir -p "$WL_DIR/portals"
		sed 's/org\.freedesktop\.impl\.portal\.RemoteDesktop;//' /usr/share/xdg-desktop-portal/portals/gnome.portal |
			wl_as sh -c "cat >'$WL_DIR/portals/gnome.portal'" || fail "cannot write a ScreenCast-only gnome.portal"
		portal_dir=(XDG_DESKTOP_PORTAL_DIR="$WL_DIR/portals")
	fi
	wl_exec "${portal_dir[@]}" /usr/libexec/xdg-desktop-portal -r >"$WL_DIR/portal.log" 2>&1 &
	track $!
	wait_for 15 wl_name_owned org.freedesktop.portal.Desktop ||
		fail "xdg-desktop-portal did not start: $(tail -5 "$WL_DIR/portal.log")"
}

# wl_portal_dialog share|control|cancel|up: portal_dialog.py at the desktop's dialog (up: waits
# until it is up, presses nothing); its line goes to dialog.out.
wl_portal_dialog() {
	wl_as python3 "$WL_PORTAL_DIALOG" "$1" 30 >>"$E2E_TMP/dialog.out" 2>"$E2E_TMP/dialog.err" ||
		fail "could not $1 the portal's dialog: $(tail -1 "$E2E_TMP/dialog.out") $(tail -3 "$E2E_TMP/dialog.err")"
}

# wl_portal_allow ANSWER: on the portal's path, alice's headless viewer (start_viewer) asks for
# $TICKET; until the customer's own yes the desktop shows no dialog, the helper has not asked the
# portal (again), and the customer has read nothing (new) of it; the customer allows (fd 7), reads
# that the desktop may now ask, and ANSWER (wl_portal_dialog's, or none: no dialog is to come)
# answers it.
wl_portal_allow() {
	local asked told portal
	asked=$(grep -c "^CONSENT alice from the help desk asks" "$HELPER_OUT")
	told=$(grep -c "^STATUS Your desktop" "$HELPER_OUT")
	portal=$(grep -c "asking the desktop portal for the screen" "$E2E_TMP/helper.log")
	start_viewer "$TICKET"
	wait_count 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks" $((asked + 1)) ||
		fail "no consent prompt: $(cat "$HELPER_OUT")"
	[ "$(grep -c "^STATUS Your desktop" "$HELPER_OUT")" = "$told" ] ||
		fail "the customer was told of the desktop's dialog before their yes"
	[ "$(grep -c "asking the desktop portal for the screen" "$E2E_TMP/helper.log")" = "$portal" ] ||
		fail "the helper asked the portal before the customer's yes"
	wl_as python3 "$WL_PORTAL_DIALOG" absent >>"$E2E_TMP/dialog.out" 2>"$E2E_TMP/dialog.err" ||
		fail "the desktop's dialog is up before the customer's yes: $(tail -1 "$E2E_TMP/dialog.out") $(tail -3 "$E2E_TMP/dialog.err")"
	echo y >&7
	wait_count 20 "$HELPER_OUT" "^STATUS Your desktop " $((told + 1)) ||
		fail "no word before the desktop's dialog: $(cat "$HELPER_OUT")"
	[ "$1" = none ] || wl_portal_dialog "$1"
}

# wl_first_frame SIZE [ANSWER]: alice's headless viewer (start_viewer) for $TICKET is let in by the
# customer (fd 7; with ANSWER, on the portal's path: wl_portal_allow ANSWER), its first frame is
# SIZE (WxH), and the helper resumed its stream for it.
wl_first_frame() {
	local shared
	shared=$(grep -c "^SHARING with alice" "$HELPER_OUT" 2>/dev/null)
	if [ $# -gt 1 ]; then
		wl_portal_allow "$2"
	else
		start_viewer "$TICKET"
		wait_line 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks" || fail "no consent prompt: $(cat "$HELPER_OUT")"
		echo y >&7
	fi
	wait_count 30 "$HELPER_OUT" "^SHARING with alice from the help desk" $((shared + 1)) ||
		fail "helper did not start sharing"
	viewer_cmd 20 "wait-frame"
	grep -q "^ok $1" "$VIEWER_OUT" || fail "frame size: $(grep '^ok' "$VIEWER_OUT")"
	wait_line 10 "$E2E_TMP/helper.log" "resumed: a viewer watches" || fail "the stream was not resumed for the viewer"
}

# wl_snapshot_is VARIANT: asks for frames until the viewer's picture is wlpattern's VARIANT (the
# stream's first frame after resuming may still be on its way).
wl_snapshot_is() {
	local i
	for i in $(seq 1 50); do
		viewer_cmd 10 "wait-frame"
		viewer_cmd 10 "snapshot $E2E_TMP/seen-$1.ppm"
		"$TOOLS/wlpattern" check "$E2E_TMP/seen-$1.ppm" "$1" >"$E2E_TMP/check-$1.out" 2>&1 && return 0
		sleep 0.2 # a retry pause, not a wait: the loop waits for the picture
	done
	return 1
}

# wl_next_variant VARIANT: wlpattern draws its next picture, VARIANT, and has shown it.
wl_next_variant() {
	kill -USR1 "$WLP_PID"
	wait_line 10 "$WLP_OUT" "^shown [0-9]*x[0-9]* variant $1\$" || fail "wlpattern did not redraw"
}

# wl_pause_resume SHOWN: the customer pauses (fd 7): the stream stops, a change made meanwhile
# (variant SHOWN+1) does not reach the viewer, and it does once the customer resumes.
wl_pause_resume() {
	local shown=$1 paused resumed
	paused=$(grep -c "paused: nobody watches" "$E2E_TMP/helper.log")
	resumed=$(grep -c "resumed: a viewer watches" "$E2E_TMP/helper.log")
	echo pause >&7
	wait_line 10 "$HELPER_OUT" "^PAUSED" || fail "the helper did not pause: $(tail -3 "$HELPER_OUT")"
	wait_count 10 "$E2E_TMP/helper.log" "paused: nobody watches" $((paused + 1)) || fail "the stream went on while paused"
	wl_next_variant $((shown + 1))
	viewer_cmd 10 "wait-frame"
	viewer_cmd 10 "snapshot $E2E_TMP/paused.ppm"
	"$TOOLS/wlpattern" check "$E2E_TMP/paused.ppm" "$shown" >"$E2E_TMP/check-paused.out" 2>&1 ||
		fail "a new picture reached the viewer while paused: $(cat "$E2E_TMP/check-paused.out")"
	echo resume >&7
	wait_line 10 "$HELPER_OUT" "^RESUMED" || fail "the helper did not resume"
	wait_count 10 "$E2E_TMP/helper.log" "resumed: a viewer watches" $((resumed + 1)) || fail "the stream did not resume"
	wl_snapshot_is $((shown + 1)) ||
		fail "the change made while paused did not arrive after resuming: $(cat "$E2E_TMP/check-$((shown + 1)).out")"
}

# wl_idle_cpu WHERE: the helper with a viewer on a still screen costs about nothing (the
# compositor sends no frame); says how much, WHERE naming the screen.
wl_idle_cpu() {
	local t0 t1
	t0=$(awk '{print $14 + $15}' "/proc/$HELPER_PID/stat")
	sleep 2 # not a wait: the time over which the helper's CPU is measured
	t1=$(awk '{print $14 + $15}' "/proc/$HELPER_PID/stat")
	note "helper CPU with a viewer on a still $1: $((t1 - t0)) ticks in 2 s ($(getconf CLK_TCK) a second)"
	[ $((t1 - t0)) -le 20 ] || fail "the helper is busy on a still screen: $((t1 - t0)) ticks in 2 s"
}

# wl_waiting_viewer SHOWN: a viewer that only waits, as most VNC viewers (and the bench's
# vncmeter) do: vncgrab --watch through ssh -L as alice, which after its first picture asks for
# nothing but the incremental update libvncclient requests after each one it has read. The
# customer allows it (fd 7); it must see wlpattern's variant SHOWN, then each of the next two
# variants, each drawn while the helper's loop sleeps with no timeout (wl_loop_asleep), so that
# the change alone must wake the helper. handoff-tech asks for a pixel every second, which had
# hidden that on GNOME PipeWire's frames did not (docs/internals.md, capture_wayland.c). For a
# helper with no viewer; sets WL_WATCH_UPDATES, the updates that viewer got.
wl_waiting_viewer() {
	local shown=$1 v asked
	asked=$(grep -c '^CONSENT' "$HELPER_OUT")
	start_ssh_tunnel
	"$TOOLS/vncgrab" --watch 127.0.0.1 "$lport" "$E2E_TMP/watch.ppm" 60 >"$E2E_TMP/watch.out" 2>"$E2E_TMP/watch.err" &
	track $!
	wait_count 15 "$HELPER_OUT" "^CONSENT alice from the help desk" $((asked + 1)) ||
		fail "no consent prompt for the waiting viewer"
	echo y >&7
	wait_line 20 "$E2E_TMP/watch.out" "^ready" || fail "the waiting viewer got no first picture: $(cat "$E2E_TMP/watch.err")"
	wait_for 10 wl_watch_is "$shown" || fail "the waiting viewer's first picture: $(cat "$E2E_TMP/check-watch.out")"
	for v in $((shown + 1)) $((shown + 2)); do
		wait_for 10 wl_loop_asleep "$HELPER_PID" ||
			fail "the helper's loop did not go to sleep: $(cat "/proc/$HELPER_PID/syscall")"
		wl_next_variant "$v"
		wait_for 10 wl_watch_is "$v" ||
			fail "a change did not reach a viewer that only waits ($(grep -c '^update' "$E2E_TMP/watch.out") updates): $(cat "$E2E_TMP/check-watch.out")"
	done
	WL_WATCH_UPDATES=$(grep -c '^update' "$E2E_TMP/watch.out")
}

wl_watch_is() {
	"$TOOLS/wlpattern" check "$E2E_TMP/watch.ppm" "$1" >"$E2E_TMP/check-watch.out" 2>&1
}

# start_wlpattern [SIZE [NAME]]: the test client's known picture, fullscreen on the output that has
# the focus; sets WLP_PID and WLP_OUT (its output: $E2E_TMP/NAME.out, wlpattern.out by default).
# WLP_OUT is appended to, so a test may empty it (: >"$WLP_OUT") between sessions.
start_wlpattern() {
	WLP_OUT="$E2E_TMP/${2:-wlpattern}.out"
	: >"$WLP_OUT"
	wl_exec "$WL_TOOLS/wlpattern" show >>"$WLP_OUT" 2>"$E2E_TMP/${2:-wlpattern}.err" &
	WLP_PID=$!
	track $WLP_PID
	wait_line 15 "$WLP_OUT" "^shown ${1:-[0-9]*x[0-9]*} variant 0" ||
		fail "wlpattern showed nothing: $(cat "$E2E_TMP/${2:-wlpattern}.err")"
}

# start_wl_helper CODE [ARGS...]: the customer's helper in the desktop, answering consent from a
# fifo (echo y >&7) as start_helper does on X11. Sets HELPER_PID HELPER_OUT HELPER_IN.
start_wl_helper() {
	local code=$1
	shift
	HELPER_OUT="$E2E_TMP/helper.out"
	HELPER_IN="$E2E_TMP/helper.in"
	rm -f "$HELPER_IN"
	mkfifo "$HELPER_IN"
	wl_exec "$WL_BIN/handoff-helper" --relay "127.0.0.1:$RELAY_PORT" --host-key "$RELAY_FP" --code "$code" \
		--ui tty "$@" <"$HELPER_IN" >"$HELPER_OUT" 2>"$E2E_TMP/helper.log" &
	HELPER_PID=$!
	track $HELPER_PID
	exec 7>"$HELPER_IN"
}
