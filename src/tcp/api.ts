/**
 * The contract between TCP (src/tcp) and what sits on it: the Node-style
 * sockets (src/socket), the conformance runner's BSD socket layer
 * (src/conformance) and the stack (src/stack.ts). Everything here is
 * synchronous; asynchrony (nextTick, events) is the socket layer's business.
 */

export type TcpState =
  | 'CLOSED'
  | 'LISTEN'
  | 'SYN_SENT'
  | 'SYN_RECEIVED'
  | 'ESTABLISHED'
  | 'FIN_WAIT_1'
  | 'FIN_WAIT_2'
  | 'CLOSE_WAIT'
  | 'CLOSING'
  | 'LAST_ACK'
  | 'TIME_WAIT';

/** Error codes TCP reports to the application, as Node's `net` names them. */
export type TcpErrorCode = 'ECONNREFUSED' | 'ECONNRESET' | 'ETIMEDOUT' | 'EPIPE' | 'EHOSTUNREACH' | 'ENETUNREACH';

/** Tunables, with defaults chosen as Linux's (see DEFAULT_TCP_OPTIONS). */
export interface TcpOptions {
  /** Our MSS is mtu - 40 unless set. */
  mss?: number;
  /** Initial congestion window in segments (RFC 6928; Linux: 10). */
  initialCwndSegments: number;
  /** Congestion controller for new connections (Linux tcp_congestion_control): 'cubic' (default), 'newreno' or 'bbr'. */
  congestionControl: string;
  /** RTO bounds and initial value, ms (RFC 6298 §2: min 1 s; Linux uses 200 ms). */
  rtoMin: number;
  rtoMax: number;
  rtoInitial: number;
  /** Delayed ACK timeout, ms (RFC 1122 §4.2.3.2 caps it at 500; Linux's minimum is 40). */
  delayedAckMs: number;
  /** SYN retransmissions before ETIMEDOUT (Linux tcp_syn_retries = 6). */
  synRetries: number;
  /** SYN-ACK retransmissions before dropping the half-open entry (tcp_synack_retries = 5). */
  synAckRetries: number;
  /** Data/FIN retransmissions before ETIMEDOUT (tcp_retries2 = 15). */
  maxRetries: number;
  /** Maximum segment lifetime, ms; TIME_WAIT lasts 2*MSL (RFC 9293 §3.4.2). */
  msl: number;
  /** FIN_WAIT_2 timeout after a full close, ms (Linux tcp_fin_timeout = 60 s). */
  finWait2Timeout: number;
  /** Send and receive buffer sizes, bytes. The receive window advertises free receive buffer. */
  sndBuf: number;
  rcvBuf: number;
  /** Negotiate window scaling (RFC 7323 §2), SACK (RFC 2018), timestamps (RFC 7323 §3). */
  windowScaling: boolean;
  sack: boolean;
  timestamps: boolean;
  /** ECN (RFC 3168), as Linux net.ipv4.tcp_ecn: 0 off, 1 request and accept, 2 accept when asked (default). */
  ecn: 0 | 1 | 2;
  /** SYN cookies: 'auto' when the SYN queue is full (Linux tcp_syncookies=1), 'always', or 'never'. */
  synCookies: 'auto' | 'always' | 'never';
  /** Upper bound on any listener's SYN (half-open) queue. */
  maxSynBacklog: number;
  /** Keepalive defaults, ms and probe count (Linux: 7200 s, 75 s, 9). */
  keepAliveIdle: number;
  keepAliveInterval: number;
  keepAliveProbes: number;
  /**
   * RFC 5961 §7 challenge ACKs per second for the whole layer (Linux
   * tcp_challenge_ack_limit); each second's budget is drawn at random from
   * [limit/2, limit*3/2) as Linux does since CVE-2016-5696, so the count an
   * off-path attacker could observe leaks nothing. Infinity disables it
   * (Linux 6.0+'s default, INT_MAX).
   */
  challengeAckLimit: number;
  /**
   * Per connection: at most one challenge ACK (or other out-of-window ACK)
   * per this many ms (Linux tcp_invalid_ratelimit = 500 ms, __tcp_oow_rate_limited).
   */
  invalidRateLimitMs: number;
  /**
   * Connections (SYN_RECEIVED and later, TIME_WAIT excluded) the layer holds
   * at most; SYNs beyond it are dropped (TCPMaxConnDrop), connect() fails
   * with EADDRNOTAVAIL. Linux bounds this through memory and file limits.
   */
  maxConnections: number;
  /** TIME_WAIT records at most (Linux tcp_max_tw_buckets); beyond it a closing connection skips TIME_WAIT (TCPTimeWaitOverflow). */
  maxTwBuckets: number;
  /**
   * Connections the application closed that are still finishing (FIN_WAIT_*,
   * CLOSING, LAST_ACK) at most (Linux tcp_max_orphans); a close() beyond it
   * resets instead (TCPAbortOnMemory, as tcp_check_oom → tcp_close).
   */
  maxOrphans: number;
  /**
   * Linux tcp_mem: [low, pressure, high] in 4 KiB pages for all connections'
   * buffered bytes. Above pressure windows stop growing past 4 MSS; above
   * high segments that would queue data are dropped (TCPRcvQDrop,
   * TCPOFODrop) and writes wait; below low pressure ends (memory.ts).
   */
  tcpMem: [number, number, number];
  /** Ephemeral port range for active opens (Linux ip_local_port_range). */
  ephemeralPortMin: number;
  ephemeralPortMax: number;
  /**
   * RFC 1337 TIME-WAIT assassination fix: a RST in TIME_WAIT is ignored.
   * Linux's tcp_rfc1337 defaults to 0 (the RST kills TIME_WAIT); ours to the RFC.
   */
  rfc1337: boolean;
  /** Report duplicate segments with D-SACK blocks (RFC 2883; Linux tcp_dsack = 1). */
  dsack: boolean;
  /**
   * SACK compression (Linux tcp_comp_sack_nr = 44): after three duplicate
   * ACKs, up to this many out-of-order ACKs fold into the receive batch's
   * ACK; 0 ACKs every out-of-order segment (ack-policy.ts sackCompress).
   */
  compSackNr: number;
  /** Linux tcp_early_retrans: 3 (default) or 4 arm the tail loss probe (loss-probe.ts), any other value turns it off. */
  earlyRetrans: number;
  /** F-RTO (RFC 5682 §3, SACK-enhanced) after a retransmission timeout (Linux tcp_frto, default on). */
  frto: boolean;
  /** Window of the min-RTT filter, seconds (Linux tcp_min_rtt_wlen = 300). */
  minRttWlenSec: number;
  /** Packetization-layer PMTU probing (RFC 4821; Linux tcp_mtu_probing = 0: off). */
  mtuProbing: number;
  /**
   * Path MTU discovery (RFC 1191): DF set and frag-needed honoured. Linux
   * ip_no_pmtu_disc = 0 means on; any other value turns it off here.
   */
  pmtuDisc: boolean;
  /** Lowest path MTU a frag-needed may set (Linux min_pmtu = 552). */
  minPmtu: number;
  /** How long a learnt path MTU holds, ms (Linux mtu_expires = 600 s). */
  pmtuExpiresMs: number;
}

export const DEFAULT_TCP_OPTIONS: TcpOptions = {
  initialCwndSegments: 10,
  congestionControl: 'cubic',
  rtoMin: 200,
  rtoMax: 120_000,
  rtoInitial: 1_000,
  delayedAckMs: 40,
  synRetries: 6,
  synAckRetries: 5,
  maxRetries: 15,
  msl: 30_000,
  finWait2Timeout: 60_000,
  sndBuf: 256 * 1024,
  rcvBuf: 256 * 1024,
  windowScaling: true,
  sack: true,
  timestamps: true,
  ecn: 2,
  synCookies: 'auto',
  maxSynBacklog: 256,
  keepAliveIdle: 7_200_000,
  keepAliveInterval: 75_000,
  keepAliveProbes: 9,
  challengeAckLimit: 1000,
  invalidRateLimitMs: 500,
  maxConnections: 1_000_000,
  maxTwBuckets: 262_144,
  maxOrphans: 65_536,
  // Linux's boot-time default on an 8 GiB machine (pages): 768/1024/1536 MiB.
  tcpMem: [196_608, 262_144, 393_216],
  ephemeralPortMin: 32768,
  ephemeralPortMax: 60999,
  rfc1337: true,
  dsack: true,
  compSackNr: 44,
  earlyRetrans: 3,
  frto: true,
  minRttWlenSec: 300,
  mtuProbing: 0,
  pmtuDisc: true,
  minPmtu: 552,
  pmtuExpiresMs: 600_000,
};

/** Callbacks from a connection to its owner (a socket). All are called synchronously from TCP processing. */
export interface ConnectionHandler {
  /** The connection reached ESTABLISHED (active open) — passive opens are handed over already established. */
  onConnect(): void;
  /** In-order data or a FIN became available to `read()`. */
  onReadable(): void;
  /** Send buffer space was freed (after being full), so `send` will accept more. */
  onWritable(): void;
  /** The connection failed; `onClose` follows. */
  onError(code: TcpErrorCode): void;
  /** The connection is gone for the application (CLOSED, or handed to TIME_WAIT). Called once. */
  onClose(): void;
}

/** A snapshot of connection state, named as RFC 9293 / Linux tcp_info name it (the `ss -tni` view). */
export interface TcpInfo {
  state: TcpState;
  localAddr: number;
  localPort: number;
  remoteAddr: number;
  remotePort: number;
  sndUna: number;
  sndNxt: number;
  sndWnd: number;
  rcvNxt: number;
  rcvWnd: number;
  /** Bytes queued to send (written by the app, not yet ACKed). */
  sendQueue: number;
  /** Bytes received in order, not yet read by the app. */
  recvQueue: number;
  cwnd: number;
  ssthresh: number;
  /** Congestion controller name (tcpi_ca_name / TCP_CONGESTION); absent for listeners and TIME_WAIT. */
  congestionControl?: string;
  srtt: number;
  rttvar: number;
  rto: number;
  mss: number;
  sndWscale: number;
  rcvWscale: number;
  /** Segments in flight, and retransmission counters (tcpi_unacked, tcpi_retrans, tcpi_total_retrans). */
  unacked: number;
  retransmits: number;
  totalRetrans: number;
  /** Congestion state as Linux names it: 'open' | 'disorder' | 'cwr' | 'recovery' | 'loss'. */
  caState: string;
  sacked: number;
  lost: number;
  reordering: number;
  timestamps: boolean;
  sackOk: boolean;
  /** ECN negotiated (tcpi_options TCPI_OPT_ECN), CE-marked segments received, and ECE-driven window reductions. */
  ecn?: boolean;
  ecnCeReceived?: number;
  ecnReductions?: number;
  /** MSS we advertised (tcpi_advmss) and Linux's estimate of the peer's segment size (tcpi_rcv_mss). */
  advmss?: number;
  rcvMss?: number;
  /** Initial sequence numbers (ours, the peer's); 0 where unknown. */
  iss?: number;
  irs?: number;
  /** Bytes the peer acknowledged and bytes received in order (tcpi_bytes_acked, tcpi_bytes_received). */
  bytesAcked?: number;
  bytesReceived?: number;
  /** Bytes/s acknowledged over the last completed round trip (tcpi_delivery_rate, sampled per RTT). */
  deliveryRate?: number;
  /** Congestion controller name (tcpi_ca_name / ss's "cubic", "reno"). */
  ccName?: string;
  /** Pacing rate, bytes/s (tcpi_pacing_rate), when the controller paces (BBR). */
  pacingRate?: number;
  /** BBR's model as Linux struct tcp_bbr_info gives it: bandwidth bytes/s, min RTT µs, gains × 256. */
  bbrBw?: number;
  bbrMinRtt?: number;
  bbrPacingGain?: number;
  bbrCwndGain?: number;
  /** Armed timers as absolute deadlines on the stack's clock (ms), like `ss -o`'s timer:(...). */
  timers?: TimerDeadlines;
}

/** The deadlines of a connection's armed timers; absent = not armed. */
export interface TimerDeadlines {
  /** Retransmission timeout (RFC 6298), SYN/SYN-ACK retransmission included. */
  retransmit?: number;
  /** Tail loss probe (RFC 8985 §7). */
  lossProbe?: number;
  /** Zero-window probe (RFC 9293 §3.8.6.1). */
  persist?: number;
  /** FIN_WAIT_2 timeout after a full close (Linux tcp_fin_timeout). */
  finWait2?: number;
  delayedAck?: number;
  keepalive?: number;
  /** 2·MSL (RFC 9293 §3.4.2). */
  timeWait?: number;
}

/** One TCP connection as the application sees it. */
export interface TcpConnection {
  readonly localAddr: number;
  readonly localPort: number;
  readonly remoteAddr: number;
  readonly remotePort: number;
  readonly state: TcpState;
  /** Set by the owner right after creation / accept. */
  handler: ConnectionHandler;

  /**
   * Queue data for sending; returns how many bytes were accepted (0..len) into
   * the send buffer. Data queued in SYN_SENT / SYN_RECEIVED is sent once
   * ESTABLISHED (RFC 9293 §3.10.2). The buffer is referenced, not copied, so
   * the caller must not modify it afterwards.
   */
  send(data: Buffer): number;
  /** Free send buffer space in bytes. */
  readonly sendSpace: number;
  /**
   * Bytes in the send buffer: accepted by send() and not yet acknowledged
   * (Linux SIOCOUTQ). Optional for fakes; the socket layer reuses its write
   * blocks once the stream is acknowledged past them (write-arena.ts).
   */
  readonly sendQueued?: number;
  /**
   * Dequeue the next chunk of in-order received data, or null if none. Reading
   * frees receive buffer and may open the advertised window (RFC 9293
   * §3.8.6.2.2 receiver SWS avoidance decides when a window update is sent).
   */
  read(): Buffer | null;
  /**
   * Up to `max` bytes from the head of the in-order data, left queued
   * (recv(2) MSG_PEEK): no receive space is freed, so no window update or
   * ACK follows (Linux tcp_recvmsg with MSG_PEEK does not advance copied_seq).
   */
  peek(max: number): Buffer;
  /**
   * Sequence space written but not yet acknowledged: unacknowledged plus
   * unsent bytes, and 1 for a FIN queued and not yet acknowledged (Linux
   * SIOCOUTQ: write_seq − snd_una, where tcp_send_fin advances write_seq).
   */
  readonly outQueue: number;
  /** True once the peer's FIN has been received and everything before it read. */
  readonly readEnded: boolean;
  /** Bytes received in order and not yet read (Linux SIOCINQ); info().recvQueue without building info(). */
  readonly recvQueue: number;
  /** Send FIN after queued data (shutdown(SHUT_WR)); reading continues. */
  shutdownWrite(): void;
  /** Close both directions: FIN after queued data; data arriving afterwards gets RST (RFC 9293 §3.10.4, Linux). */
  close(): void;
  /** Abort: send RST, discard buffers, report nothing further (RFC 9293 §3.10.5). */
  abort(): void;
  setNoDelay(noDelay: boolean): void;
  /** TCP_CONGESTION: choose this connection's congestion controller by name (throws on an unknown name). */
  setCongestionControl(name: string): void;
  /**
   * TCP_CORK (Linux tcp(7)): while corked only full-sized segments leave;
   * uncork() sends the remainder, with the FIN if shutdownWrite() came
   * meanwhile. The socket layer corks for one event-loop turn so a response
   * and the FIN after it travel as one segment.
   */
  cork(): void;
  uncork(): void;
  setKeepAlive(enable: boolean, idleMs?: number): void;
  /** TCP_KEEPINTVL (ms) and TCP_KEEPCNT for this connection; undefined keeps the current value. */
  setKeepAliveProbes(intervalMs?: number, count?: number): void;
  /** SO_RCVBUF/SO_SNDBUF after the connection exists (usable bytes; the window scale and MSS stay as negotiated). */
  setBuffers(buffers: SocketParams): void;
  /** RFC 5482-style user timeout (TCP_USER_TIMEOUT), ms; 0 = use maxRetries. */
  setUserTimeout(ms: number): void;
  /** TCP_QUICKACK (Linux): false delays ACKs (interactive mode), true sends an owed ACK now. */
  setQuickAck(on: boolean): void;
  info(): TcpInfo;
}

export interface TcpListener {
  readonly localAddr: number;
  readonly localPort: number;
  /**
   * Take the next established connection off the accept queue (bounded by the
   * backlog), or null. The caller must set `handler` on it immediately.
   */
  accept(): TcpConnection | null;
  /** Socket options set after listen(): apply to SYNs answered from now on (Linux keeps them on the listener). */
  setParams(p: SocketParams): void;
  /** Stop listening; half-open entries are dropped, queued-but-unaccepted connections are reset. */
  close(): void;
}

/**
 * Per-socket buffer sizes set before listen()/connect() (SO_RCVBUF/SO_SNDBUF,
 * in usable bytes: what Linux keeps after doubling the value and reserving
 * half for overhead). The receive size also picks the window scale.
 */
export interface SocketParams {
  rcvBuf?: number;
  sndBuf?: number;
  /** TCP_MAXSEG set before the handshake (Linux user_mss): caps the MSS we advertise and send. */
  maxSeg?: number;
}

/** What TCP offers the layers above it; implemented by src/tcp/tcp-layer.ts. */
export interface TcpApi {
  /**
   * Listen on `localPort`. `onAcceptable` is called (synchronously, from
   * packet processing) whenever the accept queue becomes non-empty.
   * Throws an Error with code 'EADDRINUSE' if the port has a listener.
   */
  listen(localPort: number, backlog: number, onAcceptable: () => void, buffers?: SocketParams): TcpListener;
  /**
   * Active open (RFC 9293 §3.10.1): sends SYN now. Throws with code
   * 'EADDRINUSE' if `localPort` is taken for that 4-tuple, 'EADDRNOTAVAIL' if
   * no ephemeral port is free.
   */
  connect(remoteAddr: number, remotePort: number, handler: ConnectionHandler, localPort?: number, buffers?: SocketParams): TcpConnection;
  /** Snapshot of every connection, listeners and TIME_WAIT entries included (`ss -tan`). */
  connections(): TcpInfo[];
}
