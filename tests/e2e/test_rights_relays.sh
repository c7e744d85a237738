# test_rights through every relay of one PostgreSQL: the users are added on
# relay a and the customer's helper signs in there; the commands go to a, b
# and c in turn (tech_ssh), so every check of test_rights meets each relay
# in some of its steps: the same refusals, in the same words, as on one relay.
rights_three_relays() {
	start_postgres
	RELAY_NAME=relay-a start_relay "store = $PG_URL"
	local a_dir=$RELAY_DIR a_port=$RELAY_PORT a_fp=$RELAY_FP a_pid=$RELAY_PID a_log=$RELAY_LOG name
	RIGHTS_PORTS=("$a_port")
	RIGHTS_PIDS=()
	for name in relay-b relay-c; do
		new_relay_home "$name" "store = $PG_URL"
		echo "peer_address = $RELAY_HOST:$RELAY_PORT" >>"$RELAY_DIR/relay.conf"
		cp -p "$a_dir/code.key" "$RELAY_DIR/code.key"
		restart_relay
		RIGHTS_PORTS+=("$RELAY_PORT")
		RIGHTS_PIDS+=("$RELAY_PID")
	done
	echo 0 >"$E2E_TMP/rights.turn"
	# A stock OpenSSH client to the next relay in turn for every relay command of test_rights (a file
	# holds the turn: most calls run in a subshell of $(...)).
	tech_ssh() {
		local key=$1 turn
		shift
		turn=$(cat "$E2E_TMP/rights.turn")
		echo $(((turn + 1) % 3)) >"$E2E_TMP/rights.turn"
		# shellcheck disable=SC2046
		ssh $(RELAY_PORT=${RIGHTS_PORTS[turn]} ssh_opts) -i "$E2E_TMP/$key" "handoff@$RELAY_HOST" "$@"
	}
	RELAY_DIR=$a_dir RELAY_PORT=$a_port RELAY_FP=$a_fp RELAY_PID=$a_pid RELAY_LOG=$a_log
}
# shellcheck disable=SC2034 # read by test_rights.sh, sourced below
RIGHTS_START=rights_three_relays
. "$(dirname "$0")/test_rights.sh"
# Every relay served technicians' commands, and alice's, whose commands are most of the test, went to all three.
counts=
for r in relay-a relay-b relay-c; do
	n=$(grep -Ec "(technician|auditor) [a-z]+( \(.*\))? logged in$" "$E2E_TMP/$r.log")
	[ "$n" -gt 0 ] || fail "no command went to $r"
	grep -Eq "technician alice( \(.*\))? logged in$" "$E2E_TMP/$r.log" || fail "none of alice's commands went to $r"
	counts="$counts $r $n"
done
note "the same refusals, in the same words, through relays a, b and c in turn (logins:$counts)"
for pid in "${RIGHTS_PIDS[@]}"; do
	RELAY_PID=$pid stop_relay
done
