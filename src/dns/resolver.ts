/**
 * A stub resolver (RFC 1034 §5.3.1) over the stack's own UDP and TCP: send
 * the query to one server, wait `timeoutMs` on the stack's clock, retry up to
 * `tries` times with a fresh ID, and repeat over TCP when the answer comes
 * back truncated (RFC 1035 §4.2.1, RFC 7766 §5). Wire format by `dns-packet`.
 *
 * Answers are accepted only from the server's address and port, with our
 * query's ID and question (RFC 5452 §4 and §9.1: a blind spoofer must guess
 * the 16-bit ID and our ephemeral port, both from the stack's RNG). Errors
 * carry node:dns's codes (ENOTFOUND, ENODATA, ETIMEOUT, ESERVFAIL, ...).
 */
import dnsPacket, { type DecodedPacket, type RecordType } from 'dns-packet';
import type { Clock } from '../time/clock.js';
import type { Rng } from '../util/random.js';
import type { ConnectOptions } from '../socket/connect.js';
import type { TcpSocket } from '../socket/socket.js';
import type { UdpSocket } from '../udp/socket.js';
import { normalizeName, reverseName } from './zone.js';

export interface ResolverStack {
  readonly clock: Clock;
  readonly rng: Rng;
  createUdpSocket(): UdpSocket;
  connect(options: ConnectOptions, listener?: () => void): TcpSocket;
}

export interface ResolveOptions {
  /** The DNS server's IPv4 address. */
  server: string;
  port?: number;
  /** Per attempt; default 1000 ms. */
  timeoutMs?: number;
  /** UDP attempts before ETIMEOUT; default 3. */
  tries?: number;
  /** Idle timeout of the TCP retry after a truncated answer; default 15 000 ms. */
  tcpTimeoutMs?: number;
}

export type DnsErrorCode = 'ENOTFOUND' | 'ENODATA' | 'ETIMEOUT' | 'ESERVFAIL' | 'EREFUSED' | 'EFORMERR' | 'ENOTIMP' | 'EBADRESP' | 'ECONNREFUSED';

export class DnsError extends Error {
  constructor(
    readonly code: DnsErrorCode,
    readonly hostname: string,
    readonly syscall = 'query',
  ) {
    super(`${syscall} ${code} ${hostname}`);
  }
}

const RCODE_ERRORS: Record<number, DnsErrorCode> = { 1: 'EFORMERR', 2: 'ESERVFAIL', 3: 'ENOTFOUND', 4: 'ENOTIMP', 5: 'EREFUSED' };

/** A records of `name`, as dns.resolve4. */
export async function resolve4(stack: ResolverStack, name: string, opts: ResolveOptions): Promise<string[]> {
  const reply = await query(stack, name, 'A', opts);
  return answersOf(reply, name, 'A');
}

/** PTR names of an IPv4 address, as dns.reverse. */
export async function reverse(stack: ResolverStack, addr: string, opts: ResolveOptions): Promise<string[]> {
  const name = reverseName(addr);
  const reply = await query(stack, name, 'PTR', opts);
  return answersOf(reply, addr, 'PTR');
}

function answersOf(reply: DecodedPacket, label: string, type: 'A' | 'PTR'): string[] {
  const rcode = (reply.flags ?? 0) & 0xf;
  if (rcode !== 0) throw new DnsError(RCODE_ERRORS[rcode] ?? 'EBADRESP', label);
  const out = (reply.answers ?? []).filter((a) => a.type === type).map((a) => String((a as { data?: unknown }).data));
  if (out.length === 0) throw new DnsError('ENODATA', label);
  return out;
}

/** One question, over UDP with retries, then TCP if truncated. */
export async function query(stack: ResolverStack, name: string, type: RecordType, opts: ResolveOptions): Promise<DecodedPacket> {
  const tries = opts.tries ?? 3;
  for (let attempt = 0; attempt < tries; attempt++) {
    const reply = await queryUdp(stack, name, type, opts);
    if (reply === undefined) continue;
    if (reply.flag_tc) return queryTcp(stack, name, type, opts);
    return reply;
  }
  throw new DnsError('ETIMEOUT', name);
}

function encodeQuery(id: number, name: string, type: RecordType): Buffer {
  return dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, class: 'IN', name }] });
}

/** Is `p` the answer to our question (ID, QR, same single question)? */
function matches(p: DecodedPacket, id: number, name: string, type: RecordType): boolean {
  const q = p.questions?.[0];
  return p.type === 'response' && p.id === id && p.questions?.length === 1 && q !== undefined && q.type === type && normalizeName(q.name) === normalizeName(name);
}

/** One UDP attempt: the matching reply, or undefined on timeout. */
function queryUdp(stack: ResolverStack, name: string, type: RecordType, opts: ResolveOptions): Promise<DecodedPacket | undefined> {
  const port = opts.port ?? 53;
  const id = stack.rng.u32() & 0xffff;
  const sock = stack.createUdpSocket();
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: DecodedPacket | undefined): void => {
      if (done) return;
      done = true;
      timer.cancel();
      sock.close();
      resolve(r);
    };
    const timer = stack.clock.setTimer(stack.clock.now() + (opts.timeoutMs ?? 1000), () => finish(undefined));
    sock.on('error', () => finish(undefined));
    sock.on('message', (msg: Buffer, rinfo: { address: string; port: number }) => {
      if (rinfo.address !== opts.server || rinfo.port !== port) return;
      let p: DecodedPacket;
      try {
        p = dnsPacket.decode(msg);
      } catch {
        return; // RFC 5452 §9.1: ignore what does not match, keep waiting
      }
      if (matches(p, id, name, type)) finish(p);
    });
    sock.send(encodeQuery(id, name, type), port, opts.server);
  });
}

/** The same question over TCP with the two-octet length prefix (RFC 1035 §4.2.2). */
function queryTcp(stack: ResolverStack, name: string, type: RecordType, opts: ResolveOptions): Promise<DecodedPacket> {
  const id = stack.rng.u32() & 0xffff;
  const msg = encodeQuery(id, name, type);
  const framed = Buffer.allocUnsafe(2 + msg.length);
  framed.writeUInt16BE(msg.length, 0);
  msg.copy(framed, 2);
  return new Promise((resolve, reject) => {
    const sock = stack.connect({ host: opts.server, port: opts.port ?? 53, noDelay: true });
    let got: Buffer = Buffer.alloc(0);
    let done = false;
    const fail = (code: DnsErrorCode): void => {
      if (done) return;
      done = true;
      sock.destroy();
      reject(new DnsError(code, name));
    };
    // TCP recovers its own losses (a lost SYN waits the 1 s initial RTO, then
    // 2 s, 4 s: RFC 6298), so it gets its own, longer idle timeout.
    sock.setTimeout(opts.tcpTimeoutMs ?? 15_000, () => fail('ETIMEOUT'));
    sock.on('error', (e: NodeJS.ErrnoException) => fail(e.code === 'ECONNREFUSED' ? 'ECONNREFUSED' : 'ETIMEOUT'));
    sock.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length < 2 || got.length < 2 + got.readUInt16BE(0)) return;
      let p: DecodedPacket;
      try {
        p = dnsPacket.decode(got.subarray(2, 2 + got.readUInt16BE(0)));
      } catch {
        return fail('EBADRESP');
      }
      if (!matches(p, id, name, type)) return fail('EBADRESP');
      done = true;
      sock.end();
      resolve(p);
    });
    sock.on('end', () => fail('EBADRESP'));
    sock.write(framed);
  });
}
