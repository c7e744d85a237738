# A real headless Wayland desktop for the end-to-end tests, sourced after
# lib.sh: a private D-Bus session bus, PipeWire and WirePlumber, sway on its
# headless backend, xdg-desktop-portal with xdg-desktop-portal-wlr. All of it
# lives in $WL_DIR (XDG_RUNTIME_DIR, config, state), is waited for by what
# it makes (sockets, D-Bus names) and is stopped by lib.sh's cleanup.
#
# sway refuses to start as root (it cannot drop privileges it never had to
# keep), so as root (CI) the whole desktop, and the helper that shares it,
# runs as nobody: that is also what a customer's desktop is, a user's.

# wl_as COMMAND...: runs COMMAND as the desktop's user (nobody when we are root).
wl_as() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
	else
		"$@"
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

wl_sway_has_output() {
	wl_as swaymsg -t get_outputs 2>/dev/null | grep -q HEADLESS-1
}

# wl_socket: the compositor's Wayland socket name in XDG_RUNTIME_DIR, once it is there.
wl_socket() {
	local s
	for s in "$XDG_RUNTIME_DIR"/wayland-*; do
		case "$s" in *.lock) continue ;; esac
		[ -S "$s" ] && basename "$s" && return 0
	done
	return 1
}

# start_wayland WIDTH HEIGHT: the desktop, with one output HEADLESS-1 of WIDTH x HEIGHT.
# Exports WAYLAND_DISPLAY, XDG_RUNTIME_DIR, DBUS_SESSION_BUS_ADDRESS (and the XDG_* dirs) for
# everything started after it; sets WL_DIR.
start_wayland() {
	local w=$1 h=$2
	WL_DIR="$E2E_TMP/wl"
	if [ "$(id -u)" = 0 ]; then
		chmod 711 "$E2E_TMP"
		mkdir -p "$WL_DIR"
		chown nobody:nogroup "$WL_DIR"
	else
		mkdir -p "$WL_DIR"
	fi
	export HOME="$WL_DIR" XDG_RUNTIME_DIR="$WL_DIR/run" XDG_CONFIG_HOME="$WL_DIR/config"
	export XDG_STATE_HOME="$WL_DIR/state" XDG_CACHE_HOME="$WL_DIR/cache" XDG_DATA_HOME="$WL_DIR/data"
	export XDG_CURRENT_DESKTOP=sway XDG_SESSION_TYPE=wayland
	unset DISPLAY WAYLAND_DISPLAY
	wl_as mkdir -m 0700 "$XDG_RUNTIME_DIR"
	wl_as mkdir -p "$XDG_CONFIG_HOME/sway" "$XDG_CONFIG_HOME/xdg-desktop-portal-wlr" "$XDG_STATE_HOME" \
		"$XDG_CACHE_HOME" "$XDG_DATA_HOME"
	# No title bar, border or bar: the test client's fullscreen picture is all the output shows.
	wl_as sh -c "cat >'$XDG_CONFIG_HOME/sway/config'" <<-EOF
		output HEADLESS-1 mode ${w}x${h} position 0 0
		xwayland disable
		default_border none
		default_floating_border none
		focus_follows_mouse no
		seat seat0 hide_cursor 0
	EOF
	# chooser_type=none: xdpw shares output_name without asking anyone (sway has no dialog).
	wl_as sh -c "cat >'$XDG_CONFIG_HOME/xdg-desktop-portal-wlr/config'" <<-EOF
		[screencast]
		output_name=HEADLESS-1
		chooser_type=none
		max_fps=30
	EOF

	wl_as dbus-daemon --session --nofork --nopidfile --print-address=3 \
		--address="unix:path=$XDG_RUNTIME_DIR/bus" 3>"$WL_DIR/bus.address" >"$WL_DIR/dbus.log" 2>&1 &
	track $!
	wait_for 10 grep -q '^unix:' "$WL_DIR/bus.address" || fail "dbus-daemon did not start: $(cat "$WL_DIR/dbus.log")"
	DBUS_SESSION_BUS_ADDRESS=$(head -1 "$WL_DIR/bus.address")
	export DBUS_SESSION_BUS_ADDRESS

	wl_as pipewire >"$WL_DIR/pipewire.log" 2>&1 &
	track $!
	wait_for 10 test -S "$XDG_RUNTIME_DIR/pipewire-0" || fail "pipewire did not start: $(tail -5 "$WL_DIR/pipewire.log")"
	wl_as wireplumber >"$WL_DIR/wireplumber.log" 2>&1 &
	track $!
	# WirePlumber is ready when it is a client of PipeWire and has made its own objects (the
	# session manager's metadata, which streams' links need).
	wait_for 15 wl_pw_has_metadata ||
		fail "wireplumber did not start: $(tail -5 "$WL_DIR/wireplumber.log")"

	# No GPU here: wlroots' pixman renderer, and the headless backend with no input devices.
	WLR_BACKENDS=headless WLR_LIBINPUT_NO_DEVICES=1 WLR_RENDERER=pixman \
		wl_as sway -c "$XDG_CONFIG_HOME/sway/config" >"$WL_DIR/sway.log" 2>&1 &
	WL_SWAY_PID=$!
	track $WL_SWAY_PID
	wait_for 15 wl_socket || fail "sway did not start: $(tail -5 "$WL_DIR/sway.log")"
	WAYLAND_DISPLAY=$(wl_socket)
	export WAYLAND_DISPLAY
	wait_for 10 sh -c "ls '$XDG_RUNTIME_DIR'/sway-ipc.*.sock" || fail "sway has no IPC socket"
	SWAYSOCK=$(ls "$XDG_RUNTIME_DIR"/sway-ipc.*.sock | head -1)
	export SWAYSOCK
	wait_for 10 wl_sway_has_output ||
		fail "sway has no output HEADLESS-1: $(tail -5 "$WL_DIR/sway.log")"

	wl_as /usr/libexec/xdg-desktop-portal-wlr -l DEBUG -c "$XDG_CONFIG_HOME/xdg-desktop-portal-wlr/config" \
		>"$WL_DIR/xdpw.log" 2>&1 &
	track $!
	wait_for 15 wl_name_owned org.freedesktop.impl.portal.desktop.wlr ||
		fail "xdg-desktop-portal-wlr did not start: $(tail -5 "$WL_DIR/xdpw.log")"
	wl_as /usr/libexec/xdg-desktop-portal -r >"$WL_DIR/portal.log" 2>&1 &
	track $!
	wait_for 15 wl_name_owned org.freedesktop.portal.Desktop ||
		fail "xdg-desktop-portal did not start: $(tail -5 "$WL_DIR/portal.log")"
}

# start_wlpattern: the test client's known picture, fullscreen; sets WLP_PID and WLP_OUT.
start_wlpattern() {
	WLP_OUT="$E2E_TMP/wlpattern.out"
	wl_as "$TOOLS/wlpattern" show >"$WLP_OUT" 2>"$E2E_TMP/wlpattern.err" &
	WLP_PID=$!
	track $WLP_PID
	wait_line 15 "$WLP_OUT" "^shown ${1:-[0-9]*x[0-9]*} variant 0" ||
		fail "wlpattern showed nothing: $(cat "$E2E_TMP/wlpattern.err")"
}
