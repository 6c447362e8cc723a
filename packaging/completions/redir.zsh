#compdef redir
# zsh completion for redir(1), the TCP port redirector.
# Installed as /usr/share/zsh/vendor-completions/_redir (deb) or
# /usr/share/zsh/site-functions/_redir (rpm).

_arguments -s -S \
	'(-b --bind --bind_addr)'{-b+,--bind=,--bind_addr=}'[connect to DST from this local address]:address:_hosts' \
	'(-f --ftp)'{-f+,--ftp=}'[redirect FTP connections]:type:(port pasv both)' \
	'(- *)'{-h,--help}'[show the help text]' \
	'(-i --inetd)'{-i,--inetd}'[run from inetd: SRC is the socket on stdin]' \
	'(-I --ident --name)'{-I+,--ident=,--name=}'[tag log records with NAME]:name:' \
	'(-l --loglevel)'{-l+,--loglevel=}'[log level]:level:(none err notice info debug)' \
	'(-n --foreground)'{-n,--foreground}'[run in the foreground]' \
	'(-p --transproxy)'{-p,--transproxy}'[transparent proxy mode]' \
	'(-s --syslog)'{-s,--syslog}'[log to journald or syslog]' \
	'(-t --timeout)'{-t+,--timeout=}'[idle timeout in seconds]:seconds:' \
	'(- *)'{-v,--version}'[show the version]' \
	'(-x --connect)'{-x+,--connect=}'[CONNECT string passed to an HTTP proxy at DST]:host\:port:' \
	'(-m --max-bandwidth --max_bandwidth)'{-m+,--max-bandwidth=,--max_bandwidth=}'[limit the bandwidth]:bits per second:' \
	'(-o --wait-in-out --wait_in_out)'{-o+,--wait-in-out=,--wait_in_out=}'[directions to shape]:flag:((1\:in 2\:out 3\:both))' \
	'(-w --random-wait --random_wait)'{-w+,--random-wait=,--random_wait=}'[wait before each packet]:milliseconds:' \
	'(-z --bufsize)'{-z+,--bufsize=}'[traffic shaping buffer size]:bytes:' \
	'--connect-timeout=[give up connecting to DST after SEC seconds]:seconds:' \
	'--drain-timeout=[on SIGTERM, let connections finish for SEC seconds]:seconds:' \
	'--max-connections=[serve at most N connections at once]:number:' \
	'--exit-idle-time=[exit after SEC seconds without a connection]:seconds:' \
	'--proxy-protocol=[send a PROXY protocol header to DST]:version:(v1 v2)' \
	'--config=[read options from a redir.conf file]:file:_files' \
	'--laddr=[local address to listen on]:address:_hosts' \
	'--lport=[local port to listen on]:port:' \
	'--caddr=[address to redirect to]:address:_hosts' \
	'--cport=[port to redirect to]:port:' \
	'1:[SRC]\:PORT, or [DST]\:PORT with -i:' \
	'2:[DST]\:PORT:'
