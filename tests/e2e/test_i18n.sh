# The customer's language: the Japanese catalog is complete (every message
# the helper's sources mark for translation has a Japanese text, none fuzzy,
# formats checked by msgfmt), speaks without jargon (no L1, ticket, journal
# or relay in either language) and with full-width punctuation, the locale
# chooses it even when the Japanese locale was never generated on this
# machine, --lang overrides the locale, the terminal UI keeps its
# untranslated upper-case words for scripts, a technician is named in words
# ("alice from the help desk"), and "there is no screen to share" is said in
# the customer's language, both when no display is given and when the one
# given cannot be opened.
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

# What the customer reads, in both languages: no tier codes, no "ticket", no "journal", no "relay".
msgstrs() {
	sed -n 's/^msgstr\(\[0\]\)\? "\(..*\)"$/\2/p' "$ROOT/po/ja.po"
}
msgids() {
	sed -n 's/^msgid\(_plural\)\? "\(..*\)"$/\2/p' "$E2E_TMP/helper.pot"
}
jargon=$( (msgids; msgstrs) | grep -i -E '\bL[123]\b|ticket|journal|relay|チケット|ジャーナル|中継' || true)
[ -z "$jargon" ] || fail "jargon in what the customer reads: $jargon"
# Japanese punctuation is full-width: no ASCII ? ! ( ) or ": " and no "..." in a translation.
halfwidth=$(msgstrs | grep -E '[?!()]|: |\.\.\.' | grep -v -F -e 'Project-Id' || true)
[ -z "$halfwidth" ] || fail "half-width punctuation in Japanese: $halfwidth"
# Words reviewed as a customer reads them: viewing is 閲覧, the no-code button and the name hint read naturally.
for want in "閲覧のみ許可" "コードをお持ちでない方：お困りの内容を伝える" "お名前（入力しなくてもかまいません。省くときは Enter キー）：" "ヘルプデスク"; do
	grep -q -F "msgstr \"$want" "$ROOT/po/ja.po" || fail "po/ja.po lacks \"$want\""
done

start_xvfb 320 240
start_relay

# No screen to share, in the customer's language: no display at all (exit 2, before anything
# is connected), and a display that cannot be opened (exit 1, the code is not used).
rc=0
env -u DISPLAY LANG=ja_JP.UTF-8 LC_ALL= LC_MESSAGES= LANGUAGE= "$BIN/handoff-helper" --relay "127.0.0.1:$RELAY_PORT" \
	--host-key "$RELAY_FP" --code 1234-5678-9012 --ui tty </dev/null >/dev/null 2>"$E2E_TMP/nodisplay.err" || rc=$?
[ "$rc" = 2 ] || fail "no display: exit $rc"
grep -q "共有する画面が見つかりませんでした。" "$E2E_TMP/nodisplay.err" ||
	fail "no display was not said in Japanese: $(cat "$E2E_TMP/nodisplay.err")"
rc=0
env -u DISPLAY LANG=C LC_ALL= LC_MESSAGES= LANGUAGE= "$BIN/handoff-helper" --relay "127.0.0.1:$RELAY_PORT" \
	--host-key "$RELAY_FP" --code 1234-5678-9012 --ui tty </dev/null >/dev/null 2>"$E2E_TMP/nodisplay-en.err" || rc=$?
[ "$rc" = 2 ] && grep -q "No screen to share was found." "$E2E_TMP/nodisplay-en.err" ||
	fail "no display in English: exit $rc, $(cat "$E2E_TMP/nodisplay-en.err")"
rc=0
"$BIN/handoff-helper" --relay "127.0.0.1:$RELAY_PORT" --host-key "$RELAY_FP" --code 1234-5678-9012 --ui tty \
	--display :97 --lang ja </dev/null >/dev/null 2>"$E2E_TMP/baddisplay.err" || rc=$?
[ "$rc" = 1 ] && grep -q "共有する画面が見つかりませんでした。.*:97" "$E2E_TMP/baddisplay.err" ||
	fail "an unopenable display was not said in Japanese: exit $rc, $(cat "$E2E_TMP/baddisplay.err")"
note "no screen to share: said in Japanese and in English, with the technical detail after it"

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
[ "$en" = "CONSENT alice from the help desk asks to view and control your screen. Allow? [y = view and control, v = view only, n = deny]" ] ||
	fail "English prompt changed: $en"
new_ticket_code "i18n"
ja=$(consent_line locale LANG=ja_JP.UTF-8 LC_ALL= LC_MESSAGES= LANGUAGE=)
[ "$ja" = "CONSENT ヘルプデスクの alice さんが、あなたの画面の閲覧と操作の許可を求めています。許可しますか？［y＝閲覧と操作を許可、v＝閲覧のみ許可、n＝許可しない］" ] ||
	fail "LANG=ja_JP.UTF-8 did not give the Japanese prompt: $ja"
grep -q "^WITHDRAWN ヘルプデスクの alice さん：依頼は取り消されました" "$E2E_TMP/locale.out" || fail "the withdrawal was not in Japanese"
new_ticket_code "i18n"
over=$(EXTRA="--lang en" consent_line override LANG=ja_JP.UTF-8 LC_ALL= LC_MESSAGES= LANGUAGE=)
[ "$over" = "CONSENT alice from the help desk asks to view and control your screen. Allow? [y = view and control, v = view only, n = deny]" ] ||
	fail "--lang en did not override LANG=ja_JP.UTF-8: $over"
new_ticket_code "i18n"
ja2=$(EXTRA="--lang ja" consent_line option LANG=C LC_ALL= LC_MESSAGES= LANGUAGE=)
case "$ja2" in
*許可しますか*) ;;
*) fail "--lang ja did not give Japanese: $ja2" ;;
esac
note "English by default, Japanese from LANG=ja_JP.UTF-8 (locale not generated here), --lang both ways"
stop_relay
