# bash completion for redir(1), the TCP port redirector.
# Installed as /usr/share/bash-completion/completions/redir; it needs
# nothing from the bash-completion package.

_redir() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	# "--opt=val": bash splits it at "=" (COMP_WORDBREAKS).
	if [[ $cur == "=" ]]; then
		prev=${COMP_WORDS[COMP_CWORD - 1]} cur=
	elif [[ $prev == "=" ]] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi
	case $prev in
	-f | --ftp)
		mapfile -t COMPREPLY < <(compgen -W 'port pasv both' -- "$cur")
		return ;;
	-l | --loglevel)
		mapfile -t COMPREPLY < <(compgen -W 'none err notice info debug' -- "$cur")
		return ;;
	-o | --wait-in-out | --wait_in_out)
		mapfile -t COMPREPLY < <(compgen -W '1 2 3' -- "$cur")
		return ;;
	--proxy-protocol)
		mapfile -t COMPREPLY < <(compgen -W 'v1 v2' -- "$cur")
		return ;;
	--config)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return ;;
	--laddr | --caddr | -b | --bind | --bind_addr | -x | --connect)
		mapfile -t COMPREPLY < <(compgen -A hostname -- "$cur")
		return ;;
	-I | --ident | --name | -t | --timeout | -m | --max-bandwidth | --max_bandwidth | \
		-w | --random-wait | --random_wait | -z | --bufsize | --connect-timeout | \
		--drain-timeout | --max-connections | --exit-idle-time | --lport | --cport)
		return ;; # a value of the user's choosing
	esac
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W '-b --bind= -f --ftp= -h --help -i --inetd
			-I --ident= -l --loglevel= -n --foreground -p --transproxy -s --syslog
			-t --timeout= -v --version -x --connect= -m --max-bandwidth=
			-o --wait-in-out= -w --random-wait= -z --bufsize= --connect-timeout=
			--drain-timeout= --max-connections= --exit-idle-time= --proxy-protocol=
			--config= --laddr= --lport= --caddr= --cport=' -- "$cur")
		[[ ${COMPREPLY[0]-} == *= ]] && compopt -o nospace 2>/dev/null
	fi
}
complete -F _redir redir
