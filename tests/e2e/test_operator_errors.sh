# An operator's typos get a clear error that says where: relay.conf's
# unknown keys and bad values with the line (serve refuses to start), a
# directory that is not a relay home before any advice on modes, a private
# key given where the .pub belongs (never echoed), and --version of every
# program.
. "$(dirname "$0")/lib.sh"

R="$BIN/handoff-relay"
as_user=()
if [ "$(id -u)" = 0 ]; then
	chmod 711 "$E2E_TMP"
	as_user=(--user nobody)
fi
H="$E2E_TMP/home"
"$R" init "$H" --listen "127.0.0.1:$(free_port)" "${as_user[@]}" >/dev/null || fail "init failed"

# serve_fails PATTERN: serve refuses the home, exits non-zero, and says PATTERN.
serve_fails() {
	local rc=0
	timeout 10 "$R" serve "$H" >"$E2E_TMP/serve.out" 2>"$E2E_TMP/serve.err" || rc=$?
	[ "$rc" = 1 ] || fail "serve exited $rc with '$1' expected: $(cat "$E2E_TMP/serve.err")"
	grep -qF -- "$1" "$E2E_TMP/serve.err" || fail "serve said '$(cat "$E2E_TMP/serve.err")', not '$1'"
	! grep -q serving "$E2E_TMP/serve.out" || fail "serve started anyway"
}
# edit SED-EXPRESSION: changes relay.conf in place, keeping its owner and mode.
edit() {
	sed "$1" "$H/relay.conf.good" >"$H/relay.conf"
}
cp -p "$H/relay.conf" "$H/relay.conf.good"
n=$(grep -n '^login_grace' "$H/relay.conf.good" | cut -d: -f1)
edit 's/^login_grace/lgoin_grace/'
serve_fails "$H/relay.conf:$n: unknown setting 'lgoin_grace' (did you mean login_grace?)"
n=$(grep -n '^log_sources' "$H/relay.conf.good" | cut -d: -f1)
edit 's/journal 200/jornal 200/'
serve_fails "$H/relay.conf:$n: log_sources: \"jornal 200\" is not facts, journal LINES or file /PATH LINES"
edit 's/journal 200/journal 0/'
serve_fails "$H/relay.conf:$n: log_sources: \"journal 0\""
edit 's|journal 200|file var/log/x 10|'
serve_fails "$H/relay.conf:$n: log_sources: \"file var/log/x 10\""
n=$(grep -n '^code_ttl' "$H/relay.conf.good" | cut -d: -f1)
edit 's/^code_ttl = .*/code_ttl = ten minutes/'
serve_fails "$H/relay.conf:$n: code_ttl: expected a number from 1 to 86400, got \"ten minutes\""
n=$(grep -n '^start_tier_p1' "$H/relay.conf.good" | cut -d: -f1)
edit 's/^start_tier_p1 = L2/start_tier_p1 = L4/'
serve_fails "$H/relay.conf:$n: start_tier_p1: expected L1, L2 or L3, got \"L4\""
n=$(grep -n '^listen' "$H/relay.conf.good" | cut -d: -f1)
edit 's/^listen = .*/listen = 127.0.0.1/'
serve_fails "$H/relay.conf:$n: listen: expected HOST:PORT"
edit '$a recording = sometimes'
n=$(($(wc -l <"$H/relay.conf.good") + 1))
serve_fails "$H/relay.conf:$n: recording: expected required, optional or off, got \"sometimes\""
edit '$a record_input = nope'
serve_fails "$H/relay.conf:$n: record_input: expected yes or no"
edit '$a colour = blue'
serve_fails "$H/relay.conf:$n: unknown setting 'colour'"
edit '$a not a setting'
serve_fails "$H/relay.conf:$n: expected \"key = value\""
# user add and the other commands read the same file the same way.
edit 's/^login_grace/lgoin_grace/'
new_key kim
rc=0
"$R" user add "$H" kim --role tech --tier L1 --key "$E2E_TMP/kim.pub" >/dev/null 2>"$E2E_TMP/err" || rc=$?
[ "$rc" = 1 ] && grep -q "unknown setting 'lgoin_grace'" "$E2E_TMP/err" || fail "user add took a bad relay.conf: $(cat "$E2E_TMP/err")"
cp -p "$H/relay.conf.good" "$H/relay.conf"
note "relay.conf: unknown keys (with a guess), bad numbers, tiers, log sources, words: PATH:LINE: key"

# Not a relay home: said first, for every command, whatever the directory's modes.
mkdir -m 755 "$E2E_TMP/wrong"
for cmd in "serve $E2E_TMP/wrong" "user list $E2E_TMP/wrong" "user add $E2E_TMP/wrong kim --role tech --tier L1 --key $E2E_TMP/kim.pub" \
	"user remove $E2E_TMP/wrong kim" "intake $E2E_TMP/wrong list" "recording-key $E2E_TMP/wrong $E2E_TMP/kim.pub" \
	"bundle $E2E_TMP/wrong --out $E2E_TMP/b" "serve $E2E_TMP/absent"; do
	rc=0
	# shellcheck disable=SC2086
	"$R" $cmd >/dev/null 2>"$E2E_TMP/err" || rc=$?
	[ "$rc" != 0 ] || fail "'$cmd' succeeded on a directory that is not a relay home"
	grep -q "is not a relay home" "$E2E_TMP/err" || fail "'$cmd' said: $(cat "$E2E_TMP/err")"
	! grep -qi "mode\|chmod\|chown" "$E2E_TMP/err" || fail "'$cmd' gave advice on modes: $(cat "$E2E_TMP/err")"
done
note "a directory without relay.conf is 'not a relay home' for serve, user, intake, recording-key, bundle"

# A private key where the public one belongs: refused by name, its content never printed.
"$BIN/handoff-tech" keygen --out "$E2E_TMP/rec.key" >/dev/null || fail "keygen failed"
for pair in "user add $H kim --role tech --tier L1 --key $E2E_TMP/kim" "recording-key $H $E2E_TMP/rec.key"; do
	rc=0
	# shellcheck disable=SC2086
	"$R" $pair >"$E2E_TMP/out" 2>"$E2E_TMP/err" || rc=$?
	[ "$rc" = 1 ] || fail "'$pair' exited $rc"
	grep -q "is a private key; give the .pub file" "$E2E_TMP/err" || fail "'$pair' said: $(cat "$E2E_TMP/err")"
	key=${pair##* }
	secret=$(sed -n 2p "$key" | cut -c1-24)
	[ -n "$secret" ] || secret=$(cut -d' ' -f2 "$key" | cut -c1-24)
	! grep -qF -- "$secret" "$E2E_TMP/out" "$E2E_TMP/err" || fail "'$pair' echoed the private key"
done
"$R" user list "$H" | grep -q kim && fail "kim was added with a private key"
"$R" user add "$H" kim --role tech --tier L1 --key "$E2E_TMP/kim.pub" >/dev/null || fail "the .pub was refused"
note "a private key given as --key or to recording-key is refused, not echoed; the .pub is taken"

# --version: one version, every program.
v=$(sed -n 's/^#define HANDOFF_VERSION "\(.*\)"$/\1/p' "$(dirname "$0")/../../protocol/version.h")
[ -n "$v" ] || fail "protocol/version.h has no HANDOFF_VERSION"
for prog in handoff-relay handoff-helper handoff-tech; do
	out=$("$BIN/$prog" --version) || fail "$prog --version failed"
	[ "$out" = "$prog $v" ] || fail "$prog --version printed '$out'"
	"$BIN/$prog" --help | grep -q -- "--version" || fail "$prog --help does not name --version"
done
note "handoff-relay, handoff-helper and handoff-tech --version print '<program> $v'"
