# handoff-tech's bash completion and man page, as `make install` puts them:
# the completion registers and completes commands and options; the man page
# renders without groff warnings and covers what --help names. Then the
# documents against the tree (tests/check-docs.sh): every e2e test described
# once in tests/README.md, every path, test and module they name exists.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
COMP="$ROOT/technician/share/handoff-tech.bash"
MAN="$ROOT/technician/share/handoff-tech.1"

bash -c "source '$COMP' && complete -p handoff-tech" | grep -q -- "-F _handoff_tech handoff-tech" ||
	fail "the completion does not register"
# complete_words WORD...: what completing the last word offers.
complete_words() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _handoff_tech; echo "${COMPREPLY[*]}"' \
		_ "$COMP" "$@"
}
[ "$(complete_words handoff-tech vi)" = view ] || fail "command: '$(complete_words handoff-tech vi)'"
[ "$(complete_words handoff-tech --relay r:1 --identity k que)" = queue ] || fail "command after options"
[ "$(complete_words handoff-tech view 42 --)" = "--headless --view-only --monitor" ] || fail "view options: '$(complete_words handoff-tech view 42 --)'"
[ "$(complete_words handoff-tech view 42 --monitor a)" = all ] || fail "--monitor values: '$(complete_words handoff-tech view 42 --monitor a)'"
[ "$(complete_words handoff-tech escalate 42 --to "")" = "L2 L3" ] || fail "--to values"
[ "$(complete_words handoff-tech --h)" = "--host-key --help" ] || fail "global options: '$(complete_words handoff-tech --h)'"
[ "$(complete_words handoff-tech mi)" = mine ] || fail "mine is not completed: '$(complete_words handoff-tech mi)'"
[ "$(complete_words handoff-tech ticket l)" = list ] || fail "ticket list is not completed"
note "completion: commands, options and tiers"

MANWIDTH=80 man -l "$MAN" >"$E2E_TMP/man.txt" 2>"$E2E_TMP/man.err" || fail "man -l failed: $(cat "$E2E_TMP/man.err")"
LC_ALL=C.UTF-8 groff -man -ww -z "$MAN" 2>"$E2E_TMP/groff.err"
[ -s "$E2E_TMP/groff.err" ] && fail "groff warnings: $(cat "$E2E_TMP/groff.err")"
for section in NAME SYNOPSIS DESCRIPTION CONFIGURATION "TRUSTING THE RELAY" "THE VIEWER WINDOW" \
	"CHAT FROM THE TERMINAL" RECONNECTING OPTIONS "EXIT STATUS" FILES; do
	grep -q "^$section" "$E2E_TMP/man.txt" || fail "the man page has no $section section"
done
# Every option --help lists is in the man page.
"$BIN/handoff-tech" --help >"$E2E_TMP/help.txt" || fail "--help failed"
for opt in $(grep -o -- '--[a-z][a-z-]*' "$E2E_TMP/help.txt" | sort -u); do
	grep -q -- "$opt" "$E2E_TMP/man.txt" || fail "--help names $opt, the man page does not"
done
# Justified and wrapped: a phrase may span lines or gain spaces.
tr '\n' ' ' <"$E2E_TMP/man.txt" | tr -s ' ' >"$E2E_TMP/man.flat"
for cmd in "mine" "ticket list" "take N" "chat N" "Ctrl-D" '{"error": "TEXT", "exit": N}' "(empty)" "witness"; do
	grep -qF -- "$cmd" "$E2E_TMP/man.flat" || fail "the man page does not describe $cmd"
done
note "man page renders ($(wc -l <"$E2E_TMP/man.txt") lines), no groff warnings, covers --help's options"

make -s -C "$ROOT" BUILD="$(basename "$(dirname "$BIN")")" install DESTDIR="$E2E_TMP/dest" PREFIX=/usr >/dev/null 2>&1 ||
	fail "make install failed"
for f in bin/handoff-tech share/man/man1/handoff-tech.1 share/bash-completion/completions/handoff-tech; do
	[ -f "$E2E_TMP/dest/usr/$f" ] || fail "make install did not install $f"
done
note "make install puts the program, man page and completion in place"

sh "$ROOT/tests/check-docs.sh" "$ROOT" >"$E2E_TMP/docs.out" 2>&1 || fail "the documents disagree with the tree: $(cat "$E2E_TMP/docs.out")"
note "$(cat "$E2E_TMP/docs.out")"
