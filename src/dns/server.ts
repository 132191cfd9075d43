/**
 * An authoritative DNS server for a Zone, on UDP and TCP port 53 of a Stack
 * (RFC 1035 §4.2), with `dns-packet` for the wire format.
 *
 * - A for names in the zone, PTR for their in-addr.arpa names; NXDOMAIN (RCODE
 *   3) for other names; an existing name asked for another type gets NOERROR
 *   with no answer (RFC 2308 §2.2 "NODATA"). Answers are authoritative (AA).
 * - Exactly one question (RFC 9619), standard QUERY opcode only: else FORMERR
 *   / NOTIMP (RFC 1035 §4.1.1). Responses (QR=1) and undecodable datagrams
 *   are dropped and counted, never answered (no reflection loops).
 * - UDP answers fit in 512 octets (RFC 1035 §4.2.1), or the EDNS0 size the
 *   client advertises (RFC 6891 §6.2.5, capped at 4096); a larger answer goes
 *   out with TC set and no records (RFC 2181 §9: no partial RRsets), and the
 *   client retries over TCP, where messages carry a two-octet length prefix
 *   (RFC 1035 §4.2.2) and several queries may share a connection (RFC 7766 §6.2).
 * - UDP responses are rate limited per client /24 (rrl.ts: a forged-source
 *   flood of queries cannot turn the server into an amplifier); limited ones
 *   are dropped or slipped out truncated, counted as rrlDropped / rrlSlipped.
 */
import dnsPacket, { type Answer, type DecodedPacket, type Packet, type Question } from 'dns-packet';
import type { Stack } from '../stack.js';
import type { TcpServer } from '../socket/server.js';
import type { TcpSocket } from '../socket/socket.js';
import type { UdpSocket } from '../udp/socket.js';
import { Zone } from './zone.js';
import { ResponseRateLimiter, type RrlOptions } from './rrl.js';

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const UDP_DEFAULT = 512;
const UDP_MAX = 4096;
const TTL = 60;
/** A TCP client idle this long is closed (RFC 7766 §6.2.3 suggests seconds). */
const TCP_IDLE_MS = 10_000;

export interface DnsCounters {
  udpQueries: number;
  tcpQueries: number;
  answered: number;
  nxdomain: number;
  truncated: number;
  formerr: number;
  notimp: number;
  refused: number;
  /** Dropped: not decodable, or a response rather than a query. */
  malformed: number;
  droppedResponses: number;
  /** UDP responses withheld by response rate limiting (rrl.ts). */
  rrlDropped: number;
  /** UDP responses rate limited but sent truncated (TC=1, no records) so the client retries over TCP. */
  rrlSlipped: number;
}

export interface DnsServerOptions {
  /** Response rate limiting of UDP answers; false turns it off. */
  rateLimit?: Partial<RrlOptions> | false;
}

export interface DnsServer {
  readonly counters: DnsCounters;
  readonly udp: UdpSocket;
  readonly tcp: TcpServer;
  close(): Promise<void>;
}

/** Answer one decoded query; the response packet (without size limits applied). */
export function answer(zone: Zone, q: DecodedPacket): { packet: Packet; rcode: number } {
  const base = { type: 'response' as const, id: q.id ?? 0, questions: q.questions };
  const rd = (q.flags ?? 0) & dnsPacket.RECURSION_DESIRED;
  const opcode = ((q.flags ?? 0) >> 11) & 0xf;
  const reply = (rcode: number, answers: Answer[] = []): { packet: Packet; rcode: number } => ({
    packet: { ...base, flags: dnsPacket.AUTHORITATIVE_ANSWER | rd | rcode, answers },
    rcode,
  });
  if (opcode !== 0) return reply(RCODE.NOTIMP);
  if (q.questions?.length !== 1) return reply(RCODE.FORMERR);
  const question: Question = q.questions[0];
  if (question.class !== 'IN' && question.class !== 'ANY') return reply(RCODE.REFUSED);
  const addrs = zone.addresses(question.name);
  if (addrs) {
    if (question.type !== 'A' && !isAny(question)) return reply(RCODE.NOERROR);
    return reply(RCODE.NOERROR, addrs.map((data) => ({ name: question.name, type: 'A', class: 'IN', ttl: TTL, data })));
  }
  const names = zone.pointers(question.name);
  if (names) {
    if (question.type !== 'PTR' && !isAny(question)) return reply(RCODE.NOERROR);
    return reply(RCODE.NOERROR, names.map((data) => ({ name: question.name, type: 'PTR', class: 'IN', ttl: TTL, data })));
  }
  return reply(RCODE.NXDOMAIN);
}

/** QTYPE 255 (RFC 1035 §3.2.3), missing from dns-packet's type list. */
function isAny(q: Question): boolean {
  return String(q.type) === 'ANY';
}

/** The UDP size limit a query allows: its EDNS0 OPT payload size, else 512. */
export function udpLimit(q: DecodedPacket): number {
  const opt = q.additionals?.find((a) => a.type === 'OPT');
  const size = opt && 'udpPayloadSize' in opt ? opt.udpPayloadSize : UDP_DEFAULT;
  return Math.min(Math.max(size, UDP_DEFAULT), UDP_MAX);
}

function decode(buf: Buffer): DecodedPacket | undefined {
  try {
    return dnsPacket.decode(buf);
  } catch {
    return undefined;
  }
}

export function startDnsServer(stack: Stack, zone: Zone, port = 53, opts: DnsServerOptions = {}): DnsServer {
  const counters: DnsCounters = {
    udpQueries: 0,
    tcpQueries: 0,
    answered: 0,
    nxdomain: 0,
    truncated: 0,
    formerr: 0,
    notimp: 0,
    refused: 0,
    malformed: 0,
    droppedResponses: 0,
    rrlDropped: 0,
    rrlSlipped: 0,
  };
  const rrl = opts.rateLimit === false ? undefined : new ResponseRateLimiter(stack.clock, opts.rateLimit);

  /** Decode, answer and encode one query; undefined means drop. `from` (UDP only) is rate limited. */
  const respond = (msg: Buffer, limit: ((q: DecodedPacket) => number) | undefined, from?: string): Buffer | undefined => {
    const q = decode(msg);
    if (!q) {
      counters.malformed++;
      return undefined;
    }
    if (q.type === 'response') {
      counters.droppedResponses++;
      return undefined;
    }
    const verdict = rrl && from !== undefined ? rrl.verdict(from) : 'send';
    if (verdict !== 'send') return limited(q, verdict);
    let out: Buffer;
    let reply: { packet: Packet; rcode: number };
    try {
      reply = answer(zone, q);
      out = dnsPacket.encode(reply.packet);
      if (limit && out.length > limit(q)) {
        counters.truncated++;
        out = dnsPacket.encode({ ...reply.packet, flags: (reply.packet.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE, answers: [] });
      }
    } catch {
      // A question dns-packet decoded but cannot encode back (a mangled name): not answerable.
      counters.malformed++;
      return undefined;
    }
    const rcode = reply.rcode;
    if (rcode === RCODE.NXDOMAIN) counters.nxdomain++;
    else if (rcode === RCODE.FORMERR) counters.formerr++;
    else if (rcode === RCODE.NOTIMP) counters.notimp++;
    else if (rcode === RCODE.REFUSED) counters.refused++;
    else counters.answered++;
    return out;
  };

  /** A rate-limited query: nothing, or (slip) an empty truncated reply no larger than the query. */
  const limited = (q: DecodedPacket, verdict: 'slip' | 'drop'): Buffer | undefined => {
    if (verdict === 'drop') {
      counters.rrlDropped++;
      return undefined;
    }
    try {
      const rd = (q.flags ?? 0) & dnsPacket.RECURSION_DESIRED;
      const out = dnsPacket.encode({ type: 'response', id: q.id ?? 0, flags: dnsPacket.TRUNCATED_RESPONSE | rd, questions: q.questions ?? [] });
      counters.rrlSlipped++;
      return out;
    } catch {
      counters.malformed++;
      return undefined;
    }
  };

  const udp = stack.createUdpSocket();
  udp.on('error', () => {});
  udp.on('message', (msg: Buffer, rinfo: { address: string; port: number }) => {
    counters.udpQueries++;
    const out = respond(msg, udpLimit, rinfo.address);
    if (out) udp.send(out, rinfo.port, rinfo.address);
  });
  udp.bind(port);

  const live = new Set<TcpSocket>();
  const tcp = stack.createServer({ allowHalfOpen: true }, (socket) => {
    live.add(socket);
    socket.on('close', () => live.delete(socket));
    serveTcp(socket, (msg) => {
      counters.tcpQueries++;
      return respond(msg, undefined);
    });
  });
  tcp.listen(port);

  return {
    counters,
    udp,
    tcp,
    close: () =>
      new Promise<void>((resolve) => {
        udp.close();
        tcp.close(() => resolve());
        for (const s of live) s.destroy();
      }),
  };
}

/**
 * One DNS-over-TCP client: length-prefixed messages (RFC 1035 §4.2.2), split
 * or joined anyhow by TCP, answered in order; closed after TCP_IDLE_MS idle
 * or on a message we will not answer.
 */
function serveTcp(socket: TcpSocket, respond: (msg: Buffer) => Buffer | undefined): void {
  socket.on('error', () => {});
  socket.setTimeout(TCP_IDLE_MS, () => socket.end());
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
      const len = pending.readUInt16BE(0);
      const msg = Buffer.from(pending.subarray(2, 2 + len));
      pending = pending.subarray(2 + len);
      const out = respond(msg);
      if (!out) {
        socket.destroy();
        return;
      }
      const framed = Buffer.allocUnsafe(2 + out.length);
      framed.writeUInt16BE(out.length, 0);
      out.copy(framed, 2);
      socket.write(framed);
    }
  });
  socket.on('end', () => socket.end());
}
