# bash completion for handoff-tech (installed by `make install`, or source it).
# Completes global options, the command, and each command's options; ticket
# numbers are not guessed (that would need a login to the relay).

_handoff_tech() {
	local cur prev words cword cmd i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	local globals="--relay --identity --host-key --user --also-relay --verbose --help --version"
	local commands="view queue mine ticket invite take control chat note triage wait escalate resolve reopen close review kb whoami help
		tickets show transcript recordings recording export report verify witness keygen webhook-verify replay render"

	case $prev in
	--identity | --key | --audit-key | --out | --snapshot | --events | --dir | --secret-file)
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0
		;;
	--to)
		COMPREPLY=($(compgen -W "L2 L3" -- "$cur"))
		return 0
		;;
	--monitor)
		COMPREPLY=($(compgen -W "all 1 2 3 4" -- "$cur"))
		return 0
		;;
	--tier)
		if [ "${COMP_WORDS[1]}" = kb ] || [[ " ${COMP_WORDS[*]} " == *" kb "* ]]; then
			COMPREPLY=($(compgen -W "public L1 L2 L3" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "L1 L2 L3" -- "$cur"))
		fi
		return 0
		;;
	--for)
		COMPREPLY=($(compgen -W "customer" -- "$cur"))
		return 0
		;;
	--by)
		COMPREPLY=($(compgen -W "tier tech priority kb" -- "$cur"))
		return 0
		;;
	--impact | --urgency)
		COMPREPLY=($(compgen -W "high medium low" -- "$cur"))
		return 0
		;;
	--relay | --host-key | --user | --also-relay | --note | --speed | --until | --fps | --codec | --priority | --customer | --contact | --since | --until | --field | --reason | --title | --symptoms | --fix | --cause | --prevention | --kb)
		return 0
		;;
	esac

	# The command is the first word that is neither an option nor an option's value.
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--relay | --identity | --host-key | --user | --also-relay) ((i++)) ;;
		-*) ;;
		*)
			cmd=${COMP_WORDS[i]}
			break
			;;
		esac
	done
	if [ -z "$cmd" ]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$globals" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		return 0
	fi
	# The relay's commands take the options its `help --usage` lists, and --json
	# (tests/e2e/test_relay_commands.sh holds this list to the relay's table).
	case $cmd in
	view) COMPREPLY=($(compgen -W "--headless --view-only --monitor" -- "$cur")) ;;
	ticket)
		if [ "$prev" = ticket ]; then
			COMPREPLY=($(compgen -W "new show list attachment" -- "$cur"))
		elif [ "${COMP_WORDS[i + 1]}" = new ]; then
			COMPREPLY=($(compgen -W "--priority --customer --contact --invite --json" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "--json" -- "$cur"))
		fi
		;;
	kb)
		if [ "$prev" = kb ]; then
			COMPREPLY=($(compgen -W "add edit show search list" -- "$cur"))
		else
			case ${COMP_WORDS[i + 1]} in
			add | edit) COMPREPLY=($(compgen -W "--tier --title --symptoms --fix --cause --json" -- "$cur")) ;;
			*) COMPREPLY=($(compgen -W "--json" -- "$cur")) ;;
			esac
		fi
		;;
	help) COMPREPLY=($(compgen -W "--usage --json" -- "$cur")) ;;
	queue) COMPREPLY=($(compgen -W "--tier --json" -- "$cur")) ;;
	tickets) COMPREPLY=($(compgen -W "--since --json" -- "$cur")) ;;
	escalate) COMPREPLY=($(compgen -W "--to --note --force --reason --json" -- "$cur")) ;;
	triage) COMPREPLY=($(compgen -W "--impact --urgency --json" -- "$cur")) ;;
	wait) COMPREPLY=($(compgen -W "--for --json" -- "$cur")) ;;
	resolve) COMPREPLY=($(compgen -W "--note --kb --new-kb --json" -- "$cur")) ;;
	reopen) COMPREPLY=($(compgen -W "--reason --json" -- "$cur")) ;;
	review) COMPREPLY=($(compgen -W "--cause --prevention --json" -- "$cur")) ;;
	note) COMPREPLY=($(compgen -W "--sensitive --field --json" -- "$cur")) ;;
	report) COMPREPLY=($(compgen -f -W "--since --until --by --csv --html --json --audit-key" -- "$cur")) ;;
	verify) COMPREPLY=($(compgen -f -W "--audit-key --show --json" -- "$cur")) ;;
	witness) COMPREPLY=($(compgen -f -W "--audit-key --dir" -- "$cur")) ;;
	keygen) COMPREPLY=($(compgen -W "--out" -- "$cur")) ;;
	webhook-verify) COMPREPLY=($(compgen -W "--secret-file --signature --window --now" -- "$cur")) ;;
	replay) COMPREPLY=($(compgen -f -W "--key --headless --speed --until --snapshot --events --audit-key --recording" -- "$cur")) ;;
	render) COMPREPLY=($(compgen -f -W "--key --out --fps --codec" -- "$cur")) ;;
	*) COMPREPLY=($(compgen -W "--json" -- "$cur")) ;;
	esac
	return 0
}
complete -F _handoff_tech handoff-tech
