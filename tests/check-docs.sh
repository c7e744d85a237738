#!/bin/sh
# Keeps the documents honest about the tree: every end-to-end test is
# described once in tests/README.md and nothing is described there that
# does not exist; every repository path, link, test name and source file
# the documents cite exists; README's "How it is built" names every module
# (.c file) of each program's folder. Run by tests/e2e/test_tech_docs.sh (so by make check); prints what
# is wrong and exits 1, or prints one "ok" line.
# Usage: tests/check-docs.sh [ROOT]
set -u
ROOT=$(cd "${1:-$(dirname "$0")/..}" && pwd) || exit 1
cd "$ROOT" || exit 1
DOCS="README.md SECURITY.md tests/README.md docs/internals.md docs/operator.md docs/performance.md"
bad=0
found=$(mktemp) || exit 1
trap 'rm -f "$found"' EXIT
problem() {
	echo "check-docs: $*" >&2
	bad=1
}

for f in $DOCS; do
	[ -f "$f" ] || problem "$f is missing"
done

# The catalogue: a test is described by a list item that starts with its name.
catalogue=$(sed -n 's/^ *- `\(test_[a-z0-9_]*\.sh\)`:.*/\1/p' tests/README.md 2>/dev/null)
for t in tests/e2e/test_*.sh; do
	name=$(basename "$t")
	n=$(printf '%s\n' "$catalogue" | grep -cx "$name")
	[ "$n" = 1 ] || problem "tests/README.md describes $name $n times (once, as '- \`$name\`: ...')"
done
for name in $(printf '%s\n' "$catalogue" | sort -u); do
	[ -f "tests/e2e/$name" ] || problem "tests/README.md describes $name, which is not in tests/e2e"
done

# Paths into the repository's own folders, wherever they appear (text,
# backquotes, links). A name cut by "…" or "*" is a pattern, not a path.
for f in $DOCS; do
	[ -f "$f" ] || continue
	grep -noE '(^|[^A-Za-z0-9_./~-])(bench|client|docs|launcher|po|protocol|relay|scripts|technician|tests)/[A-Za-z0-9_./-]*(…|\*)?' "$f" |
		while IFS=: read -r line token; do
			path=$(printf '%s' "$token" | sed 's/^[^A-Za-z]//; s/[.,]*$//')
			case "$path" in *…|*\*) continue ;; esac
			[ -e "$path" ] || echo "$f:$line: names $path, which is not in the repository"
		done
done >"$found"
# Markdown links, relative to the document that holds them.
for f in $DOCS; do
	[ -f "$f" ] || continue
	grep -noE '\]\([^)#:]+(#[^)]*)?\)' "$f" | sed 's/\](\([^)#]*\).*/\1/' |
		while IFS=: read -r line target; do
			[ -e "$(dirname "$f")/$target" ] || echo "$f:$line: links to $target, which is not in the repository"
		done
done >>"$found"
# Paths that climb out of the document's folder (`../x`), links or not:
# they must land on a file of this tree, not beside it.
for f in $DOCS; do
	[ -f "$f" ] || continue
	grep -noE '(^|[^A-Za-z0-9_./-])(\.\./)+[A-Za-z0-9_./-]+' "$f" | sed 's/:[^.]*\.\./:../' |
		while IFS=: read -r line target; do
			target=$(printf '%s' "$target" | sed 's/[.,]*$//')
			dir=$(cd "$(dirname "$f")" && pwd)
			case "$(cd "$dir/$(dirname "$target")" 2>/dev/null && pwd)/" in
			"$ROOT"/*) [ -e "$dir/$target" ] || echo "$f:$line: names $target, which is not in the repository" ;;
			*) echo "$f:$line: names $target, outside the repository" ;;
			esac
		done
done >>"$found"
# Bare file names in backquotes (`viewer.c`, `test_rights.c`): some file
# of that name is in the tree.
for f in $DOCS; do
	[ -f "$f" ] || continue
	grep -noE '`[A-Za-z0-9_-]+\.(c|h|sh)`' "$f" | tr -d '`' |
		while IFS=: read -r line name; do
			[ -n "$(find bench client launcher protocol relay technician tests scripts -name "$name" -print -quit)" ] ||
				echo "$f:$line: names $name, which is not in the repository"
		done
done >>"$found"
# Test names without their extension (`test_export`): a test of that name exists.
for f in $DOCS; do
	[ -f "$f" ] || continue
	grep -noE '`test_[a-z0-9_]+`' "$f" | tr -d '`' |
		while IFS=: read -r line name; do
			[ -n "$(find tests -name "$name.*" -print -quit)" ] ||
				echo "$f:$line: names the test $name, which is not in tests/"
		done
done >>"$found"
# README's "How it is built": every module (a .c file) of a program's
# folder is named in backquotes in that folder's row.
for dir in protocol relay client technician launcher; do
	row=$(grep "^| \`$dir/\` |" README.md)
	[ -n "$row" ] || { echo "README.md: \"How it is built\" has no row for $dir/"; continue; }
	for c in "$dir"/*.c; do
		m=$(basename "$c" .c)
		case "$row" in *"\`$m\`"*) ;; *) echo "README.md: \"How it is built\" does not name $dir/$m.c (as \`$m\` in the $dir/ row)" ;; esac
	done
done >>"$found"
if [ -s "$found" ]; then
	while IFS= read -r l; do problem "$l"; done <"$found"
fi

[ "$bad" = 0 ] || exit 1
# A sleep in a test is never a wait for a condition (tests/README.md, "Waiting"): outside a
# retry loop it says why it is there.
grep -nE '^sleep ' tests/e2e/*.sh | grep -v '# not a wait' | while IFS=: read -r f line _; do
	echo "$f:$line: a sleep outside a retry loop without '# not a wait: why'"
done >"$found"
[ -s "$found" ] && problem "$(cat "$found")"

echo "check-docs: ok: $(printf '%s\n' "$catalogue" | grep -c .) e2e tests described once; every path, test and module named in $DOCS exists; every module in README's \"How it is built\""
