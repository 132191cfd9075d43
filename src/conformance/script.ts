/**
 * The typed model of a packetdrill script (the public syntax of
 * google/packetdrill). The parser produces it, the interpreter and the
 * comparator consume it. Times are in milliseconds of script time.
 */

/** When an event happens (packetdrill's ABSOLUTE/RELATIVE/ANY/RANGE times, plus `...END` for blocking calls). */
export interface TimeSpec {
  kind: 'absolute' | 'relative' | 'any';
  /** Start (or only) time, ms; relative to the previous event for 'relative'. */
  at: number;
  /** Ranged time `a~b`: latest acceptable time, on the same base as `at`. */
  rangeEnd?: number;
  /** Blocking call `a...b`: the time the call is expected to return, on the same base as `at`. */
  blockingEnd?: number;
}

/** One TCP option as written in a script's `<...>` list. */
export type OptionSpec =
  | { kind: 'nop' }
  | { kind: 'eol' }
  | { kind: 'mss'; value: number }
  | { kind: 'wscale'; value: number }
  | { kind: 'sackOK' }
  | { kind: 'sack'; blocks: Array<[number, number]> }
  | { kind: 'TS'; val: number; ecr: number };

export interface TcpPacketSpec {
  proto: 'tcp';
  /** '<' inbound (injected into the stack), '>' outbound (expected from it). */
  dir: '<' | '>';
  /** Bitwise OR of TCP flag bits (FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32, ECE 64, CWR 128). */
  flags: number;
  flagsText: string;
  seq: number;
  end: number;
  len: number;
  ack?: number;
  win?: number;
  urg?: number;
  /** undefined: no options written (so none expected); 'any': `<...>` (not checked). */
  options?: OptionSpec[] | 'any';
  /** packetdrill's `[noecn]`, `[ect0]`, `[ect1]`, `[ect01]` (either ECT), `[ce]` after the direction: the IP ECN field (RFC 3168 §5); unset, not checked. */
  ecn?: EcnMark;
}

export type EcnMark = 'noecn' | 'ect0' | 'ect1' | 'ect01' | 'ce';

/** The IP ECN field values a mark allows (RFC 3168 §5: Not-ECT 00, ECT(1) 01, ECT(0) 10, CE 11). */
export const ECN_FIELD: Record<EcnMark, readonly number[]> = { noecn: [0], ect1: [1], ect0: [2], ect01: [1, 2], ce: [3] };

export interface UdpPacketSpec {
  proto: 'udp';
  dir: '<' | '>';
  len: number;
}

export interface IcmpPacketSpec {
  proto: 'icmp';
  dir: '<' | '>';
  type: string;
  code?: string;
  mtu?: number;
  /** Embedded (quoted) TCP segment `[seq:end(len)]`, if written. */
  quotedTcp?: { seq: number; end: number; len: number };
  /** Embedded UDP datagram `[udp (len)]`, if written. */
  quotedUdp?: { len: number };
}

export type PacketSpec = TcpPacketSpec | UdpPacketSpec | IcmpPacketSpec;

/** A syscall argument or return expression. */
export type Expr =
  | { t: 'ellipsis' }
  | { t: 'int'; v: number }
  | { t: 'sym'; name: string }
  | { t: 'str'; v: string }
  | { t: 'or'; terms: Expr[] }
  | { t: 'neg'; e: Expr }
  | { t: 'array'; items: Expr[] }
  | { t: 'struct'; fields: Array<{ name?: string; value: Expr }> }
  | { t: 'call'; fn: string; args: Expr[] };

export interface SyscallSpec {
  name: string;
  args: Expr[];
  ret: Expr;
  /** Expected errno symbol when ret is -1 (e.g. 'EINPROGRESS'). */
  errno?: string;
  /** The text in parentheses after the errno, for messages only. */
  errnoText?: string;
}

export type EventBody =
  | { type: 'packet'; packet: PacketSpec }
  | { type: 'syscall'; call: SyscallSpec }
  /** `%{ ... }%` code block (TCP_INFO assertions). */
  | { type: 'code'; code: string }
  /** `` `shell command` `` line. */
  | { type: 'command'; command: string };

export interface ScriptEvent {
  /** 1-based line number of the event's first line in the file. */
  line: number;
  /** The source text of the event, for messages. */
  text: string;
  time: TimeSpec;
  body: EventBody;
}

export interface Script {
  /** `--name=value` option lines (value '' for bare flags), in order. */
  options: Map<string, string>;
  events: ScriptEvent[];
  /** A final timeless backtick command: packetdrill runs it after the script (not applied here). */
  cleanupCommand?: string;
}
