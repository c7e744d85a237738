# test_rights through a second relay of one PostgreSQL: the users are added
# on relay a and the customer's helper signs in there, every command goes to
# relay b (tech_ssh): the same refusals, in the same words, as on one relay.
rights_two_relays() {
	start_postgres
	RELAY_NAME=relay-a start_relay "store = $PG_URL"
	local a_dir=$RELAY_DIR a_port=$RELAY_PORT a_fp=$RELAY_FP a_pid=$RELAY_PID a_log=$RELAY_LOG
	new_relay_home relay-b "store = $PG_URL"
	echo "peer_address = $RELAY_HOST:$RELAY_PORT" >>"$RELAY_DIR/relay.conf"
	cp -p "$a_dir/code.key" "$RELAY_DIR/code.key"
	restart_relay
	B_PORT=$RELAY_PORT B_PID=$RELAY_PID
	# A stock OpenSSH client to relay b for every relay command of test_rights.
	tech_ssh() {
		local key=$1
		shift
		# shellcheck disable=SC2046
		ssh $(RELAY_PORT=$B_PORT ssh_opts) -i "$E2E_TMP/$key" "handoff@$RELAY_HOST" "$@"
	}
	RELAY_DIR=$a_dir RELAY_PORT=$a_port RELAY_FP=$a_fp RELAY_PID=$a_pid RELAY_LOG=$a_log
}
# shellcheck disable=SC2034 # read by test_rights.sh, sourced below
RIGHTS_START=rights_two_relays
. "$(dirname "$0")/test_rights.sh"
# Every technician and auditor of test_rights logged in on b, none on a (only the customer's helper).
for who in alice bob carol audrey; do
	grep -Eq "(technician|auditor) $who( \(.*\))? logged in$" "$E2E_TMP/relay-b.log" || fail "$who's commands did not go to relay b"
	grep -Eq "(technician|auditor) $who( \(.*\))? logged in$" "$E2E_TMP/relay-a.log" && fail "$who logged in on relay a"
done
note "the same refusals, in the same words, through relay b ($(grep -c ' logged in$' "$E2E_TMP/relay-b.log") logins there)"
RELAY_PID=$B_PID stop_relay
