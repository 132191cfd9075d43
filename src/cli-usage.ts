/** The `tunstack` usage texts: one per subcommand (`tunstack CMD --help`) and the overview. */

export const UP_USAGE = `usage: tunstack up [options]
  run the stack on a TUN (or TAP) device until SIGINT/SIGTERM

options:
  --tun NAME          TUN device name (default tun0)
  --tap NAME          use a TAP device instead (Ethernet + ARP)
  --netns NAME        put the device in this network namespace (created if missing,
                      deleted on exit if tunstack created it)
  --host-addr CIDR    the kernel's side of the device (default 10.77.0.1/24)
  --addr IP           the stack's own address (default 10.77.0.2)
  --mtu N             link MTU (default 1500)
  --services LIST     comma-separated: echo,discard,chargen,http,https,dns,udp-echo
                      (default all), 'none', or 'list' to print each with its port and purpose
  --http-root DIR     directory served by http and https (default: a built-in page)
  --tls-cert FILE     PEM certificate for https (with --tls-key; default: self-signed at start)
  --tls-key FILE      PEM private key for https
  --hostname NAME     the stack's DNS name, answered by dns and named in the certificate
                      (default tunstack.test)
  --dns-record N=A    an extra A (and PTR) record for the dns service; repeatable
  --dashboard on|off  live dashboard at http://ADDR/_tunstack/ with the http service (default on)
  --pcap FILE         write every packet in and out to FILE (pcap, LINKTYPE_RAW)
  --offload on|off    TUN offloads through IFF_VNET_HDR: checksum, TSO/GSO super-packets
                      both ways (default on; falls back to off, with a log line, where
                      the kernel refuses them; TAP: always off)
  --trace DIR         write each TCP connection's event trace to DIR/*.jsonl
                      (read it with 'tunstack explain --trace FILE')
  --cc NAME           congestion control: cubic (default), newreno or bbr (paced)
  --cwnd-trace FILE   write each connection's congestion trace (cwnd, ssthresh, in flight,
                      srtt, rto; JSON lines) to FILE (draw it with 'tunstack chart')
  --log-level LEVEL   pino level: fatal,error,warn,info,debug,trace,silent (default info)
  -h, --help          this text
`;

export const CHART_USAGE = `usage: tunstack chart TRACE -o FILE.svg [--conn ID]
  draw a congestion trace written by 'tunstack up --cwnd-trace FILE' as an SVG time
  series: cwnd, ssthresh, bytes in flight, srtt and rto, with loss/recovery/undo/RTO events

options:
  -o FILE     the SVG to write
  --conn ID   which connection (default: the one with the most samples)
  -h, --help  this text
`;

export const STAT_USAGE = `usage: tunstack stat [--tun NAME | --tap NAME] [--netns NAME] [-i | -s] [--json]
  counters (like netstat -s) and connections (like ss -tan) of a running 'tunstack up'
  (also printed to its stderr on SIGUSR1)

options:
  --tun NAME, --tap NAME   the device of the running stack (default tun0)
  --netns NAME             its network namespace
  -i, --info               per-connection internals, like 'ss -tni': cwnd, ssthresh,
                           rtt/rttvar, rto, mss, wscale, retrans, bytes acked/received,
                           delivery rate, congestion control, state
  -s, --deltas             counter changes since the previous 'stat -s' (like nstat)
  --json                   the same as JSON, for scripts
  -h, --help               this text
`;

export const EXPLAIN_USAGE = `usage: tunstack explain SCENARIO [--seed N] [--loss P] [--rtt MS] [--svg FILE] [--json]
       tunstack explain --trace FILE [--svg FILE] [--json]
       tunstack explain --list
  run two stacks in virtual time and print a ladder diagram: every segment with its
  flags, seq, ack, window and options, each end's state, timers, and the RFC rule
  (or Linux function) behind each event

options:
  --seed N      seed for ISNs, ports and link faults (default 1)
  --loss P      extra random loss on the link, 0 <= P < 1 (default 0)
  --rtt MS      round-trip time of the link (default 10)
  --svg FILE    also draw the ladder as an SVG picture
  --json        print the annotated events as JSON instead of the ladder
  --trace FILE  annotate a real connection's trace written by 'tunstack up --trace DIR'
  --list        list the scenarios
  -h, --help    this text
`;

export const CONFORMANCE_USAGE = `usage: tunstack conformance [--profile NAME] [--seed N] [--target WHO] [--tolerance-ms N] [--wire] [FILES or DIRS...]
  run packetdrill-syntax scripts against the stack in virtual time (default: the
  bundled suite) and print PASS/FAIL/SKIP per script

options:
  --profile NAME      default (our suite's) or linux (packetdrill's defaults.sh)
  --seed N            seed for the stack's ISNs and ports (default 1)
  --target WHO        tunstack (default), linux (the real packetdrill against the kernel;
                      root) or both (one table)
  --tolerance-ms N    packetdrill's timing tolerance for --target linux and --wire
  --wire              against the real tunstack binary over a TUN, in real time (root;
                      see README "Wire mode")
  -h, --help          this text
`;

export const USAGE = `usage:
  tunstack up [options]      run the stack on a TUN (or TAP) device until SIGINT/SIGTERM
  tunstack stat [options]    counters (like netstat -s) and connections (like ss -tan, -i like ss -tni)
                             of a running 'tunstack up'
  tunstack explain SCENARIO  a TCP scenario in virtual time as an annotated ladder diagram
  tunstack conformance       run the packetdrill-syntax conformance scripts
  tunstack chart TRACE -o F  draw a congestion trace (from 'up --cwnd-trace') as an SVG
  tunstack help | --version   (also -h; -V or 'version' for the version)
  tunstack COMMAND --help    the options of one command

${UP_USAGE}`;
