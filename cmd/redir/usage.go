package main

// version is what -v prints; release builds set it with
// -ldflags "-X main.version=1.2.3". The parser only reads it.
var version = "dev"

// usageText is what -h prints: redir 3.3's usage, plus the options this
// redir adds and the redir 2.x syntax it always accepts.
const usageText = `Usage: redir [-hinpsv] [-b IP] [-f TYPE] [-I NAME] [-l LEVEL] [-t SEC]
             [-x HOST:PORT] [-m BPS] [-o FLAG] [-w MSEC] [-z BYTES]
             [SRC]:PORT [DST]:PORT
       redir -i [OPTIONS] [DST]:PORT
       redir [OPTIONS] [DST]:PORT          (under systemd socket activation)
       redir [OPTIONS] --lport=PORT [--laddr=ADDR] --cport=PORT [--caddr=ADDR]
       redir --config=FILE [OPTIONS] [[SRC]:PORT] [[DST]:PORT]

  -b, --bind=IP            Connect to DST from this local address, for hosts
                           with several addresses on the server side
  -f, --ftp=TYPE           Redirect FTP connections.  Where type is
                           one of: 'port', 'pasv', or 'both'
                           (PORT/EPRT, 227/229 replies, or all), IPv4
                           and IPv6; a PORT naming another host than the
                           client is refused (500); not with -x or
                           --proxy-protocol
  -h, --help               Show this help text
  -i, --inetd              Run from inetd, SRC:PORT comes from stdin
                           Usage: redir [OPTIONS] [DST]:PORT
                           Logs go to journald or syslog, or nowhere:
                           never to stdout or stderr, which may be the
                           client's socket
  -I, --ident=NAME         Identity, tag syslog messages with NAME
  -l, --loglevel=LEVEL     Set log level: none, err, notice*, info, debug
  -n, --foreground         Run in foreground, log to stderr (unless -s, or
                           stderr is the journal: then to journald)
  -p, --transproxy         Connect to DST from the client's own address
                           (IP_TRANSPARENT; needs CAP_NET_ADMIN or
                           CAP_NET_RAW in the host's user namespace, and
                           the routing in redir(1))
  -s, --syslog             Log messages to journald where it runs, else to
                           syslog (the default without -n)
  -t, --timeout=SEC        Set timeout to SEC seconds, default off (0)
  -v, --version            Show program version
  -x, --connect=HOST:PORT  DST is an HTTP proxy: relay to HOST:PORT
                           through it (CONNECT), once it answers 2xx

Traffic Shaping (each connection on its own, each direction on its own):
  -m, --max-bandwidth=BPS  Limit the bandwidth to BPS bits/second; a burst
                           may add one packet and 10 ms at BPS
  -o, --wait-in-out=FLAG   Shape in(1): towards the client, out(2): towards
                           the server, or in&out(3), the default
  -w, --random-wait=MSEC   Wait 0 to 2*MSEC milliseconds, at random, before
                           each packet
  -z, --bufsize=BYTES      Packet size: most bytes read at once (4096;
                           256-16777216, but 32768 at most take effect).
                           -o and -z alone shape nothing

Connections:
      --connect-timeout=SEC  Give up connecting to DST after SEC seconds (10)
      --drain-timeout=SEC    On SIGTERM or SIGINT, let open connections
                             finish for up to SEC seconds (5)
      --max-connections=N    Serve at most N connections at once; more
                             clients wait to be accepted (0: no limit)
      --exit-idle-time=SEC   With -i or socket activation: exit 0 after SEC
                             seconds with no connection open (the socket
                             stays with inetd or systemd)
      --proxy-protocol=V     Send DST a PROXY protocol header, V is v1 or
                             v2, with the client's address before its bytes
                             (with -x: through the tunnel, to HOST:PORT)

Config file (redir.conf(5)):
      --config=FILE        Read options and the listen and target lines
                           from FILE; the command line wins.  One argument
                           is then DST, two are SRC and DST.  Under socket
                           activation or -i the listen lines are ignored

Old syntax (redir 2.x), implies -n:
      --lport=PORT         Local port to listen on
      --laddr=ADDR         Local address to listen on (default: any)
      --cport=PORT         Port to redirect traffic to
      --caddr=ADDR         Address to redirect traffic to (default: localhost)

SRC and DST are [HOST]:PORT.  HOST is an IPv4 address, an IPv6 address in
brackets ([::1]:80) or a host name; PORT is a number or a service name from
/etc/services.  An empty SRC host listens on every address (so does [::];
0.0.0.0 on IPv4 only), an empty DST host means this host.  SEC may have a fraction (1.5).  The spellings --bind_addr,
--max_bandwidth, --random_wait, --wait_in_out and --name (for -I) work too.

Under systemd socket activation (LISTEN_FDS) the sockets systemd passes are
SRC, listening (Accept=no) or one connection each (Accept=yes), and redir
stays in the foreground.  A connection passed already accepted (Accept=yes,
inetd nowait) is relayed, then redir exits.

Exit status: 0 ok, 1 runtime error (e.g. port in use), 2 usage error.
`
