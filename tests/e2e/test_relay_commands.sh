# The relay's commands against what documents them. `help --usage` prints
# the relay's table of commands (relay/exec.c) as NAME<TAB>USAGE; the
# RELAY COMMANDS section of handoff-tech(1) must have one entry per
# command whose synopsis is exactly that, and the bash completion must
# offer each command and exactly its options (and --json). And the
# reverse: nothing in the page or the completion that the relay lacks.
# Without this the four copies drift apart (the first run found 19).
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
COMP="$ROOT/technician/share/handoff-tech.bash"
MAN="$ROOT/technician/share/handoff-tech.1"
# What handoff-tech does itself, never asking the relay (verify and report also have an offline form).
LOCAL_COMMANDS="view keygen replay render witness webhook-verify"
LOCAL_VERIFY_OPTS="--audit-key --show"
LOCAL_REPORT_OPTS="--audit-key"

start_relay
tech_ssh alice help --usage >"$E2E_TMP/usage.tsv" || fail "help --usage failed"
n=$(wc -l <"$E2E_TMP/usage.tsv")
[ "$n" -ge 20 ] || fail "help --usage listed $n commands: $(cat "$E2E_TMP/usage.tsv")"
# The usage, as a person reads it: NAME USAGE.
awk -F'\t' '{ print ($2 == "" ? $1 : $1 " " $2) }' "$E2E_TMP/usage.tsv" | sort >"$E2E_TMP/relay.syn"
# Every usage the relay prints parses back into the table: `help` agrees with `help --usage`.
tech_ssh alice help >"$E2E_TMP/help.txt" || fail "help failed"
while IFS= read -r syn; do
	grep -qF -- "  $syn" "$E2E_TMP/help.txt" || fail "help does not show '$syn'"
done <"$E2E_TMP/relay.syn"
# A usage error says the table's usage.
rc=0
tech_ssh alice escalate 1 --to >/dev/null 2>"$E2E_TMP/err" || rc=$?
[ "$rc" = 2 ] && grep -qxF "usage: $(grep '^escalate ' "$E2E_TMP/relay.syn")" "$E2E_TMP/err" ||
	fail "escalate's usage error: exit $rc, $(cat "$E2E_TMP/err")"
note "the relay lists $n commands; help and usage errors print the table's usage"

# The man page: its RELAY COMMANDS entries (tags at the first indent), one per command, exactly.
MANWIDTH=250 man -l "$MAN" 2>/dev/null |
	awk '/^RELAY COMMANDS/ { on = 1; next } /^[A-Z]/ { on = 0 } on && /^       [a-z]/ { sub(/^ +/, ""); print }' |
	sed 's/ *$//' | sort >"$E2E_TMP/man.syn"
[ -s "$E2E_TMP/man.syn" ] || fail "handoff-tech(1) has no RELAY COMMANDS entries"
drift=0
while IFS= read -r syn; do
	grep -qxF -- "$syn" "$E2E_TMP/man.syn" || { echo "  the man page lacks: $syn"; drift=$((drift + 1)); }
done <"$E2E_TMP/relay.syn"
while IFS= read -r syn; do
	grep -qxF -- "$syn" "$E2E_TMP/relay.syn" || { echo "  the man page has what the relay does not: $syn"; drift=$((drift + 1)); }
done <"$E2E_TMP/man.syn"
[ "$drift" = 0 ] || fail "handoff-tech(1) and the relay disagree ($drift)"
note "handoff-tech(1) documents exactly the relay's $n commands, with their options"

# The completion. complete_words WORD...: what completing the last word offers.
complete_words() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _handoff_tech; echo "${COMPREPLY[*]}"' \
		_ "$COMP" "$@"
}
words() { tr ' ' '\n' | sed '/^$/d' | sort -u; }
cut -f1 "$E2E_TMP/usage.tsv" | cut -d' ' -f1 | sort -u >"$E2E_TMP/relay.cmds"
complete_words handoff-tech "" | words >"$E2E_TMP/comp.cmds"
echo "$LOCAL_COMMANDS" | words >"$E2E_TMP/local.cmds"
for c in $(cat "$E2E_TMP/relay.cmds"); do
	grep -qx "$c" "$E2E_TMP/comp.cmds" || { echo "  the completion lacks the command $c"; drift=$((drift + 1)); }
done
for c in $(cat "$E2E_TMP/comp.cmds"); do
	grep -qx "$c" "$E2E_TMP/relay.cmds" "$E2E_TMP/local.cmds" ||
		{ echo "  the completion offers $c, which neither the relay nor handoff-tech has"; drift=$((drift + 1)); }
done
for first in $(cut -f1 "$E2E_TMP/usage.tsv" | awk 'NF == 2 { print $1 }' | sort -u); do
	want=$(cut -f1 "$E2E_TMP/usage.tsv" | awk -v f="$first" '$1 == f { print $2 }' | words | tr '\n' ' ')
	got=$(complete_words handoff-tech "$first" "" | words | tr '\n' ' ')
	[ "$want" = "$got" ] || { echo "  $first: the relay has '$want', the completion offers '$got'"; drift=$((drift + 1)); }
done
while IFS=$(printf '\t') read -r name usage; do
	want=$( (echo "$usage" | grep -o -- '--[a-z-]*'; echo --json) | words | tr '\n' ' ')
	# shellcheck disable=SC2086
	got=$(complete_words handoff-tech $name 1 -- | words | tr '\n' ' ')
	[ "$name" = verify ] && want=$( (echo "$want $LOCAL_VERIFY_OPTS") | words | tr '\n' ' ')
	[ "$name" = report ] && want=$( (echo "$want $LOCAL_REPORT_OPTS") | words | tr '\n' ' ')
	[ "$want" = "$got" ] || { echo "  $name: the relay takes '$want', the completion offers '$got'"; drift=$((drift + 1)); }
done <"$E2E_TMP/usage.tsv"
[ "$drift" = 0 ] || fail "the completion and the relay disagree ($drift)"
note "the completion offers every relay command and exactly its options; nothing the relay lacks"

# handoff-tech keeps no copy of the relay's usage: its --help sends readers to the relay's help.
"$BIN/handoff-tech" --help >"$E2E_TMP/tech-help.txt" || fail "handoff-tech --help failed"
while IFS= read -r syn; do
	case "$syn" in *" "*) grep -qF -- "$syn" "$E2E_TMP/tech-help.txt" &&
		fail "handoff-tech --help repeats the relay's usage '$syn'" ;; esac
done <"$E2E_TMP/relay.syn"
grep -q "handoff-tech help" "$E2E_TMP/tech-help.txt" || fail "handoff-tech --help does not point at the relay's help"
note "handoff-tech --help repeats none of the relay's usages and points at 'handoff-tech help'"
stop_relay
