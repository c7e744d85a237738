#!/bin/bash
# Least privilege: started as root, `serve` binds (here a port below 1024)
# and then runs as the home's account, never as root; it refuses a home
# owned by root with no `user`, `user = root`, and a home whose directories
# or secret files are open to others or belong to someone else, naming the
# file. CI runs as root; as another user only the file checks run.
. "$(dirname "$0")/lib.sh"

start_relay
stop_relay

# serve_refused PATTERN: serve must exit non-zero at once with PATTERN on stderr.
serve_refused() {
	local rc=0
	timeout 20 "$BIN/handoff-relay" serve "$RELAY_DIR" >/dev/null 2>"$E2E_TMP/refused.err" || rc=$?
	[ "$rc" = 1 ] || fail "serve exited $rc, expected 1 ($1): $(cat "$E2E_TMP/refused.err")"
	grep -q -- "$1" "$E2E_TMP/refused.err" || fail "serve did not say '$1': $(cat "$E2E_TMP/refused.err")"
	note "refused: $(head -1 "$E2E_TMP/refused.err")"
}

chmod 644 "$RELAY_DIR/code.key"
serve_refused "$RELAY_DIR/code.key is mode 0644: it must be private to the relay (chmod 600"
chmod 600 "$RELAY_DIR/code.key"
chmod 640 "$RELAY_DIR/keys/audit_ed25519"
serve_refused "$RELAY_DIR/keys/audit_ed25519 is mode 0640"
chmod 600 "$RELAY_DIR/keys/audit_ed25519"
chmod 644 "$RELAY_DIR/host_ed25519"
serve_refused "$RELAY_DIR/host_ed25519 is mode 0644"
chmod 600 "$RELAY_DIR/host_ed25519"
chmod 750 "$RELAY_DIR/keys"
serve_refused "$RELAY_DIR/keys is mode 0750"
chmod 700 "$RELAY_DIR/keys"
mkdir -p "$RELAY_DIR/recordings"
chown --reference="$RELAY_DIR" "$RELAY_DIR/recordings"
chmod 755 "$RELAY_DIR/recordings"
serve_refused "$RELAY_DIR/recordings is mode 0755"
chmod 700 "$RELAY_DIR/recordings"
chmod 755 "$RELAY_DIR"
serve_refused "is open to other users"
chmod 700 "$RELAY_DIR"

if [ "$(id -u)" != 0 ]; then
	note "not root: the privilege drop is not tested here"
	echo "  ok"
	exit 0
fi

owner=$(stat -c %U "$RELAY_DIR")
[ "$owner" = nobody ] || fail "the home belongs to $owner, expected nobody"
chown root "$RELAY_DIR/handoff.db"
serve_refused "$RELAY_DIR/handoff.db belongs to uid 0, not to nobody"
chown nobody "$RELAY_DIR/handoff.db"

# user = root is refused, and so is a root-owned home with no user.
cp "$RELAY_DIR/relay.conf" "$E2E_TMP/relay.conf.saved"
echo "user = root" >>"$RELAY_DIR/relay.conf"
serve_refused "refusing to run as root: user = root is uid 0"
cp "$E2E_TMP/relay.conf.saved" "$RELAY_DIR/relay.conf"
chown nobody "$RELAY_DIR/relay.conf"
rc=0
"$BIN/handoff-relay" init "$E2E_TMP/rootowned" --listen 127.0.0.1:1 >/dev/null || fail "init as root failed"
timeout 20 "$BIN/handoff-relay" serve "$E2E_TMP/rootowned" >/dev/null 2>"$E2E_TMP/root.err" || rc=$?
[ "$rc" = 1 ] && grep -q "refusing to run as root: $E2E_TMP/rootowned belongs to root and relay.conf names no user" \
	"$E2E_TMP/root.err" || fail "a root-owned home was served (exit $rc): $(cat "$E2E_TMP/root.err")"
note "refused: $(head -1 "$E2E_TMP/root.err")"
"$BIN/handoff-relay" init "$E2E_TMP/rootuser" --user root >/dev/null 2>"$E2E_TMP/rootuser.err" &&
	fail "init --user root was accepted"
grep -q "is root: name an unprivileged account" "$E2E_TMP/rootuser.err" || fail "init --user root: $(cat "$E2E_TMP/rootuser.err")"

# A port below 1024 is bound as root; then the relay is nobody, for good.
low=""
for p in $(seq 700 900); do
	ss -tan | awk '{print $4}' | grep -q ":$p\$" || { low=$p; break; }
done
[ -n "$low" ] || fail "no free port below 1024"
sed -i "s/^listen = .*/listen = 127.0.0.1:$low/" "$RELAY_DIR/relay.conf"
RELAY_PORT=$low
restart_relay
grep -q "bound 127.0.0.1:$low as root, now running as nobody (uid 65534)" "$RELAY_LOG" || fail "no drop in the log"
uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$RELAY_PID/status")
gids=$(awk '/^Gid:/ {print $2, $3, $4, $5}' "/proc/$RELAY_PID/status")
[ "$uids" = "65534 65534 65534 65534" ] || fail "relay uids are $uids"
nogroup=$(id -g nobody)
[ "$gids" = "$nogroup $nogroup $nogroup $nogroup" ] || fail "relay gids are $gids"
groups=$(awk '/^Groups:/ {print $2}' "/proc/$RELAY_PID/status")
[ "$groups" = "$nogroup" ] || [ -z "$groups" ] || fail "relay kept supplementary groups: $groups"
note "relay on port $low runs as uid/gid $uids / $gids"
out=$(tech_ssh alice ticket new "served by nobody") || fail "the dropped relay did not serve a command"
note "ticket $out opened through the relay running as nobody"
# What it wrote since is nobody's, and private.
for f in "$RELAY_DIR"/handoff.db*; do
	[ "$(stat -c %U:%a "$f")" = nobody:600 ] || fail "$f is $(stat -c %U:%a "$f")"
done
# Administration as root on nobody's home acts as nobody: the files stay the relay's.
add_user bob tech L2
for f in "$RELAY_DIR"/handoff.db*; do
	[ "$(stat -c %U "$f")" = nobody ] || fail "user add as root left $f owned by $(stat -c %U "$f")"
done
stop_relay
echo "  ok"
