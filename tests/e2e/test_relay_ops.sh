# The operator's side of the relay as shipped: the man page (renders, no
# groff warnings, covers every command, option and setting the program
# knows), the settings table in docs/operator.md, make install (program,
# man page, systemd unit), the unit itself (systemd-analyze verify when
# present; its ExecStart run with the unit's capability bounding set and
# no_new_privs), and the README's Relay operator example run as written
# (as root, as CI runs the tests).
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MAN="$ROOT/relay/share/handoff-relay.8"
UNIT_IN="$ROOT/relay/share/handoff-relay@.service.in"

# --- the man page
MANWIDTH=80 man -l "$MAN" >"$E2E_TMP/man.txt" 2>"$E2E_TMP/man.err" || fail "man -l failed: $(cat "$E2E_TMP/man.err")"
LC_ALL=C.UTF-8 groff -man -ww -z "$MAN" 2>"$E2E_TMP/groff.err"
[ -s "$E2E_TMP/groff.err" ] && fail "groff warnings: $(cat "$E2E_TMP/groff.err")"
for section in NAME SYNOPSIS DESCRIPTION COMMANDS SETTINGS SYSTEMD FILES "EXIT STATUS" "SEE ALSO"; do
	grep -q "^$section" "$E2E_TMP/man.txt" || fail "the man page has no $section section"
done
"$BIN/handoff-relay" --help >"$E2E_TMP/help.txt" || fail "--help failed"
for opt in $(grep -o -- '--[a-z][a-z-]*' "$E2E_TMP/help.txt" | sort -u); do
	grep -q -- "$opt" "$E2E_TMP/man.txt" || fail "--help names $opt, the man page does not"
done
# Every command of the usage lines, and the subcommands of user and intake.
for cmd in $(sed -n 's/^ *\(usage: \)\{0,1\}handoff-relay \([a-z][a-z-]*\).*/\2/p' "$E2E_TMP/help.txt" | sort -u) \
	add list disable enable remove revoke; do
	grep -qw -- "$cmd" "$E2E_TMP/man.txt" || fail "the man page does not describe '$cmd'"
done
# Every setting relay.conf may hold (the list the relay checks keys against) is in the man page and docs/operator.md.
keys=$(sed -n '/home_known_keys\[\] = {/,/NULL/p' "$ROOT/relay/home.c" | grep -o '"[a-z0-9_]*"' | tr -d '"')
[ "$(echo "$keys" | wc -l)" -ge 15 ] || fail "could not read the relay's settings from home.c: $keys"
for k in $keys; do
	grep -q "$k" "$E2E_TMP/man.txt" || case "$k" in
		start_tier_p[23] | sla_p[23]) ;; # "start_tier_p1 ... start_tier_p4", "sla_p1 ... sla_p4"
		*) fail "the man page does not document the setting $k" ;;
		esac
	grep -q "^| .*\`$k\`" "$ROOT/docs/operator.md" || case "$k" in
		start_tier_p*|escalate_after_l*|sla_p*) grep -q "^| \`${k%?}" "$ROOT/docs/operator.md" || fail "docs/operator.md's table lacks $k" ;;
		*) fail "docs/operator.md's settings table lacks $k" ;;
		esac
done
note "man page renders ($(wc -l <"$E2E_TMP/man.txt") lines) without groff warnings; covers --help and all $(echo "$keys" | wc -l) settings; so does docs/operator.md"

# --- make install
make -s -C "$ROOT" BUILD="$(basename "$(dirname "$BIN")")" install DESTDIR="$E2E_TMP/dest" PREFIX=/usr >/dev/null 2>&1 ||
	fail "make install failed"
for f in bin/handoff-relay share/man/man8/handoff-relay.8 lib/systemd/system/handoff-relay@.service; do
	[ -f "$E2E_TMP/dest/usr/$f" ] || fail "make install did not install $f"
done
UNIT="$E2E_TMP/dest/usr/lib/systemd/system/handoff-relay@.service"
grep -qx 'ExecStart=/usr/bin/handoff-relay serve %f' "$UNIT" || fail "the installed unit's ExecStart: $(grep ExecStart "$UNIT")"
! grep -q '@bindir@' "$UNIT" || fail "the installed unit still says @bindir@"
note "make install puts the relay, its man page (man8) and handoff-relay@.service in place"

# --- the unit, pointed at this build
mkdir -p "$E2E_TMP/units"
sed "s|@bindir@|$BIN|g" "$UNIT_IN" >"$E2E_TMP/units/handoff-relay@.service"
if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify --man=no "$E2E_TMP/units/handoff-relay@srv-handoff.service" >"$E2E_TMP/verify.out" 2>&1 ||
		fail "systemd-analyze verify failed: $(cat "$E2E_TMP/verify.out")"
	# It also reads the machine's own units (request-tracker5.service, installed for test_rt, names
	# dependencies this container has not got): only what it says of ours counts.
	grep -F "handoff-relay@" "$E2E_TMP/verify.out" >"$E2E_TMP/verify.ours" &&
		fail "systemd-analyze verify complains: $(cat "$E2E_TMP/verify.ours")"
	note "systemd-analyze verify accepts the unit"
else
	note "systemd-analyze is not installed: the unit's syntax is not checked here"
fi
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	# ExecStart as systemd would run it: as root, bounded to the unit's capabilities, no_new_privs.
	chmod 711 "$E2E_TMP"
	H="$E2E_TMP/unit-home"
	port=$(free_port) || fail "no free port"
	"$BIN/handoff-relay" init "$H" --user nobody --listen "127.0.0.1:$port" >/dev/null || fail "init --user nobody failed"
	new_key alice
	"$BIN/handoff-relay" user add "$H" alice --role tech --tier L1 --key "$E2E_TMP/alice.pub" >/dev/null || fail "user add failed"
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT_IN" | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
	exec_line=$(sed -n 's/^ExecStart=//p' "$E2E_TMP/units/handoff-relay@.service" | sed "s|%f|$H|")
	# shellcheck disable=SC2086
	setpriv --bounding-set "-all,$caps" --no-new-privs $exec_line >"$E2E_TMP/unit.out" 2>"$E2E_TMP/unit.log" &
	unit_pid=$!
	track $unit_pid
	wait_line 10 "$E2E_TMP/unit.out" serving || fail "ExecStart did not serve with bounding set $caps: $(cat "$E2E_TMP/unit.log")"
	grep -q "now running as nobody" "$E2E_TMP/unit.log" || fail "the relay did not drop to nobody: $(cat "$E2E_TMP/unit.log")"
	[ "$(awk '/^CapEff/ {print $2}' "/proc/$unit_pid/status")" = 0000000000000000 ] || fail "the relay kept capabilities after the drop"
	RELAY_PORT=$port
	[ "$(tech_ssh alice whoami | head -1)" != "" ] || fail "ssh to the relay started as the unit does failed"
	kill -TERM "$unit_pid"
	rc=0
	wait "$unit_pid" || rc=$?
	[ "$rc" = 0 ] || fail "the relay started as the unit does exited $rc: $(tail -5 "$E2E_TMP/unit.log")"
	note "ExecStart runs under the unit's bounding set ($caps) and no_new_privs: binds, drops to nobody, no capability left, serves ssh"
else
	note "not root: ExecStart under the unit's capability set is not tried"
fi

# --- README's Relay operator example, as written, as root
if [ "$(id -u)" != 0 ]; then
	note "not root: README's root example is not run (CI runs the tests as root)"
	exit 0
fi
chmod 711 "$E2E_TMP"
mkdir -m 755 "$E2E_TMP/srv"
mkdir -m 700 "$E2E_TMP/work" # like /root: the relay's account cannot read the keys kept here
port=$(free_port) || fail "no free port"
sed -n '/^### Relay operator/,/^### /p' "$ROOT/README.md" | sed -n '/^```sh$/,/^```$/p' | sed '1d;$d' >"$E2E_TMP/example.sh"
[ "$(wc -l <"$E2E_TMP/example.sh")" -ge 6 ] || fail "README's operator example not found: $(cat "$E2E_TMP/example.sh")"
grep -q '^useradd .* handoff$' "$E2E_TMP/example.sh" || fail "README's example does not create the account first"
# The account the example creates is played by nobody, so that the test machine keeps its accounts;
# useradd itself is only checked to take those options.
useradd_check() {
	for o in "$@"; do
		case "$o" in --*) useradd --help | grep -q -- "$o" || fail "useradd has no option $o" ;; esac
	done
}
for k in alice audrey; do
	ssh-keygen -q -t ed25519 -N '' -f "$E2E_TMP/work/$k"
done
( cd "$E2E_TMP/work" || exit 1
	while IFS= read -r line; do
		line=${line%%  #*}
		line=${line//\/srv\/handoff/$E2E_TMP/srv/handoff}
		line=${line//--user handoff/--user nobody}
		line=${line//0.0.0.0:2222/127.0.0.1:$port}
		line=${line//handoff-relay /$BIN/handoff-relay }
		line=${line//handoff-tech /$BIN/handoff-tech }
		case "$line" in
		useradd*) line="useradd_check ${line#useradd }" ;;
		*" serve "*) line="$line >'$E2E_TMP/readme.out' 2>'$E2E_TMP/readme.log' & echo \$! >'$E2E_TMP/readme.pid'" ;;
		esac
		echo "+ $line" >>"$E2E_TMP/readme.trace"
		eval "$line" >>"$E2E_TMP/readme.trace" 2>&1 || { echo "FAILED: $line"; exit 1; }
	done <"$E2E_TMP/example.sh"
) >"$E2E_TMP/readme.run" 2>&1 || fail "README's example failed: $(cat "$E2E_TMP/readme.run") $(tail -5 "$E2E_TMP/readme.trace")"
track "$(cat "$E2E_TMP/readme.pid")"
wait_line 10 "$E2E_TMP/readme.out" serving || fail "README's serve did not start: $(cat "$E2E_TMP/readme.log")"
grep -q "now running as nobody" "$E2E_TMP/readme.log" || fail "README's serve did not drop privileges"
cp "$E2E_TMP/work/alice" "$E2E_TMP/work/alice.pub" "$E2E_TMP/"
RELAY_PORT=$port
tech_ssh alice whoami | grep -q alice || fail "alice cannot log in to the README's relay"
kill -TERM "$(cat "$E2E_TMP/readme.pid")"
note "README's Relay operator example runs as root as written (account, init --user, user add, keygen, recording-key, serve)"
