# The customer's language: the Japanese catalog is complete (every message
# the helper's sources mark for translation has a Japanese text, none fuzzy,
# formats checked by msgfmt), the locale chooses it even when the Japanese
# locale was never generated on this machine, --lang overrides the locale,
# and the terminal UI keeps its untranslated upper-case words for scripts.
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
xgettext --no-wrap --language=C --from-code=UTF-8 --keyword=_ --keyword=N_ --keyword=dngettext:2,3 \
	--package-name=handoff-helper -o "$E2E_TMP/helper.pot" "$ROOT"/client/*.c || fail "xgettext failed"
ids=$(grep -c '^msgid "..*"' "$E2E_TMP/helper.pot")
[ "$ids" -ge 60 ] || fail "only $ids messages extracted: is _() still used?"
msgcmp "$ROOT/po/ja.po" "$E2E_TMP/helper.pot" 2>"$E2E_TMP/msgcmp.err" ||
	fail "po/ja.po lacks messages: $(head -5 "$E2E_TMP/msgcmp.err")"
LC_ALL=C msgfmt --check --statistics -o /dev/null "$ROOT/po/ja.po" 2>"$E2E_TMP/stats" || fail "msgfmt --check failed"
grep -q "untranslated\|fuzzy" "$E2E_TMP/stats" && fail "po/ja.po is not complete: $(cat "$E2E_TMP/stats")"
note "catalog: $(cat "$E2E_TMP/stats") for $ids extracted messages"

start_xvfb 320 240
start_relay

# consent_line NAME ENV...: a tty helper for $CODE under ENV (with $EXTRA options); prints
# its CONSENT line. Called after new_ticket_code, in a subshell.
consent_line() {
	local name=$1
	shift
	env "$@" "$BIN/handoff-helper" --relay "127.0.0.1:$RELAY_PORT" --host-key "$RELAY_FP" --code "$CODE" \
		--display "$XDISPLAY" --ui tty ${EXTRA:-} <"$E2E_TMP/never.in" >"$E2E_TMP/$name.out" 2>"$E2E_TMP/$name.log" &
	local helper=$!
	track $helper
	wait_line 15 "$E2E_TMP/$name.out" "^CONNECTED" || fail "$name: helper did not connect"
	start_viewer_as alice "$TICKET" "viewer-$name"
	wait_line 15 "$E2E_TMP/$name.out" "^CONSENT" || fail "$name: no consent prompt"
	kill "$VIEWER_PID" 2>/dev/null
	wait_line 15 "$E2E_TMP/$name.out" "^WITHDRAWN" || fail "$name: the withdrawal was not shown"
	kill -TERM "$helper"
	wait "$helper" 2>/dev/null
	grep '^CONSENT' "$E2E_TMP/$name.out"
}
mkfifo "$E2E_TMP/never.in"
exec 6<>"$E2E_TMP/never.in"

new_ticket_code "i18n"
en=$(consent_line plain LANG=C LC_ALL= LC_MESSAGES= LANGUAGE=)
[ "$en" = "CONSENT alice (L1) on ticket $TICKET asks to view and control your screen. Allow? [y = view and control, v = view only, n = deny]" ] ||
	fail "English prompt changed: $en"
new_ticket_code "i18n"
ja=$(consent_line locale LANG=ja_JP.UTF-8 LC_ALL= LC_MESSAGES= LANGUAGE=)
[ "$ja" = "CONSENT alice (L1) がチケット $TICKET であなたの画面の表示と操作を求めています。許可しますか? [y = 表示と操作、v = 表示のみ、n = 拒否]" ] ||
	fail "LANG=ja_JP.UTF-8 did not give the Japanese prompt: $ja"
grep -q "^WITHDRAWN alice (L1): 依頼は取り消されました" "$E2E_TMP/locale.out" || fail "the withdrawal was not in Japanese"
new_ticket_code "i18n"
over=$(EXTRA="--lang en" consent_line override LANG=ja_JP.UTF-8 LC_ALL= LC_MESSAGES= LANGUAGE=)
[ "$over" = "CONSENT alice (L1) on ticket $TICKET asks to view and control your screen. Allow? [y = view and control, v = view only, n = deny]" ] ||
	fail "--lang en did not override LANG=ja_JP.UTF-8: $over"
new_ticket_code "i18n"
ja2=$(EXTRA="--lang ja" consent_line option LANG=C LC_ALL= LC_MESSAGES= LANGUAGE=)
case "$ja2" in
*許可しますか*) ;;
*) fail "--lang ja did not give Japanese: $ja2" ;;
esac
note "English by default, Japanese from LANG=ja_JP.UTF-8 (locale not generated here), --lang both ways"
stop_relay
