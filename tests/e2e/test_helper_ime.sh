# Japanese typed through a real input method into the customer's chat:
# IBus with the Anthy engine on the customer's display (its own D-Bus
# session), romaji "nihongo" composed in the chat field (SDL_TEXTEDITING:
# the window shows a composition), converted with Space, committed with
# Enter, sent with Enter; the technician's chat stream and the ticket's
# transcript hold 日本語.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/window_lib.sh"

start_xvfb 1024 768
start_relay
T=$(tech_ssh alice ticket new "IME") || fail "ticket new failed"
C=$(tech_ssh alice invite "$T") || fail "invite failed"

# A session bus of our own, and IBus on it serving the customer's display; its
# cache and address file (which SDL reads) in the test's folder, not the user's.
export XDG_CONFIG_HOME=$E2E_TMP/config XDG_CACHE_HOME=$E2E_TMP/cache
mkdir -p "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME"
eval "$(dbus-launch --sh-syntax)" || fail "dbus-launch failed"
track "$DBUS_SESSION_BUS_PID"
export DBUS_SESSION_BUS_ADDRESS
# Anthy starts in Latin mode (input-mode 3); hiragana is 0.
PATH=/usr/bin:/bin gsettings set org.freedesktop.ibus.engine.anthy.common input-mode 0 ||
	fail "gsettings could not set Anthy's input mode"
# The Anthy engine is Python and needs Debian's python3 (with gi), not one earlier on PATH.
DISPLAY=$XDISPLAY PATH=/usr/bin:/bin ibus-daemon --xim --replace --panel=disable >"$E2E_TMP/ibus.log" 2>&1 &
track $!
# `ibus engine NAME` exits 1 here even when it worked (no portal), so ask afterwards.
wait_for 15 sh -c "DISPLAY=$XDISPLAY PATH=/usr/bin:/bin ibus engine anthy; [ \"\$(DISPLAY=$XDISPLAY PATH=/usr/bin:/bin ibus engine)\" = anthy ]" || fail "IBus did not take the Anthy engine: $(cat "$E2E_TMP/ibus.log")"
note "IBus engine: $(DISPLAY=$XDISPLAY PATH=/usr/bin:/bin ibus engine)"

WIN_OUT="$E2E_TMP/window.out"
LANG_NOW=ja
SHOTS=$E2E_TMP
DISPLAY=$XDISPLAY HANDOFF_UI_TRACE=1 ASAN_OPTIONS=detect_leaks=0 SDL_IM_MODULE=ibus XMODIFIERS=@im=ibus \
	"$BIN/handoff-helper" --relay "127.0.0.1:$RELAY_PORT" --host-key "$RELAY_FP" --display "$XDISPLAY" \
	--code "$C" --lang ja </dev/null >"$WIN_OUT" 2>"$E2E_TMP/window.log" &
track $!
MARK=0
wait_state 20 "screen=main"
win_geometry
field chat
mark
DISPLAY=$XDISPLAY xdotool type --delay 80 "nihongo" || fail "xdotool type failed"
wait_for 10 sh -c "tail -n +$((MARK + 1)) '$WIN_OUT' | grep -q 'composing=[1-9]'" ||
	fail "no composition in the chat field: $(grep '^UI state' "$WIN_OUT" | tail -2)"
note "composing: $(grep -o 'composing=[0-9]*' "$WIN_OUT" | tail -1) bytes (にほんご is 12)"
DISPLAY=$XDISPLAY xdotool key --delay 200 space Return || fail "xdotool key failed"
wait_for 10 sh -c "tail -1 '$WIN_OUT' | grep -q 'entry=[1-9][0-9]* .*composing=0'" ||
	fail "the composition was not committed: $(grep '^UI state' "$WIN_OUT" | tail -2)"
DISPLAY=$XDISPLAY xdotool key Return || fail "xdotool key Return failed"
wait_for 10 sh -c "sqlite3 '$RELAY_DIR/handoff.db' \"SELECT detail FROM events WHERE ticket_id=$T AND kind='chat' AND role='customer'\" | grep -q '日本語'" ||
	fail "日本語 is not in the transcript: $(sqlite3 "$RELAY_DIR/handoff.db" "SELECT detail FROM events WHERE ticket_id=$T AND kind='chat'")"
line=$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT detail FROM events WHERE ticket_id=$T AND kind='chat' AND role='customer'" | tail -1)
note "typed n-i-h-o-n-g-o, Space, Enter, Enter through IBus/Anthy: the transcript holds '$line'"
"$BIN/handoff-tech" --relay "127.0.0.1:$RELAY_PORT" --identity "$E2E_TMP/alice" --host-key "$RELAY_FP" \
	chat "$T" </dev/null >"$E2E_TMP/stream.out" 2>&1 &
stream=$!
track $stream
wait_line 10 "$E2E_TMP/stream.out" "日本語" || fail "the technician's chat stream lacks the line: $(cat "$E2E_TMP/stream.out")"
kill "$stream" 2>/dev/null

# A technician with control types romaji into the chat field (issue 13): the
# keys are ignored, IBus is reset after each, nothing is composed or typed,
# and the customer's next composition holds only the customer's keys.
mark
start_viewer_as alice "$T" ctl
wait_state 15 "screen=main question=consent"
click allow
viewer_cmd 20 "wait-frame"
wait_state 10 "screen=main question=none watching=1"
read -r fx fy fw fh <<<"$(sed -n 's/^UI field chat \([0-9]*\) \([0-9]*\) \([0-9]*\) \([0-9]*\)$/\1 \2 \3 \4/p' "$WIN_OUT")"
viewer_cmd 10 "click $((WIN_X + fx + 20)) $((WIN_Y + fy + fh / 2))"
viewer_cmd 10 "type ka"
wait_for 10 sh -c "sqlite3 '$RELAY_DIR/handoff.db' \"SELECT detail FROM events WHERE ticket_id=$T AND kind='remote-input-ignored'\" | awk '{ n += \$1 } END { exit !(n >= 3) }'" ||
	fail "the viewer's click and keys were not reported as ignored"
mark
DISPLAY=$XDISPLAY xdotool mousemove $((WIN_X + fx + 20)) $((WIN_Y + fy + fh / 2)) || fail "xdotool mousemove failed"
DISPLAY=$XDISPLAY xdotool type --delay 80 "nihongo" || fail "xdotool type failed"
wait_for 10 sh -c "tail -n +$((MARK + 1)) '$WIN_OUT' | grep -q 'composing=12'" ||
	fail "the customer's composition is not にほんご alone: $(grep '^UI state' "$WIN_OUT" | tail -3)"
! tail -n +$((MARK + 1)) "$WIN_OUT" | grep -q 'composing=1[5-9]' || fail "the viewer's keys joined the composition"
grep '^UI state' "$WIN_OUT" | tail -1 | grep -q ' entry=0 ' || fail "the viewer's keys reached the chat field: $(grep '^UI state' "$WIN_OUT" | tail -1)"
note "a controlling viewer's romaji was ignored and IBus reset; the customer's next composition is にほんご alone"
exec 8>&-
stop_relay
