/**
 * The DNS server and stub resolver on whole Stacks over the in-memory link in
 * virtual time: answers (A, PTR, NXDOMAIN, NODATA, FORMERR, NOTIMP),
 * hostile bytes dropped and counted while serving goes on, truncation at 512
 * octets or the EDNS0 size, TCP framing split anywhere, and the resolver's
 * retries, timeouts and refusal of answers that do not match its query.
 */
import { describe, expect, it } from 'vitest';
import dnsPacket from 'dns-packet';
import { startDnsServer, answer, RCODE } from '../../src/dns/server.js';
import { checkHostname, parseRecordSpec, reverseName, Zone } from '../../src/dns/zone.js';
import { DnsError, reverse } from '../../src/dns/resolver.js';
import type { UdpSocket } from '../../src/udp/socket.js';
import { makePair, type Pair } from '../sim/stress-harness.js';
import { randBytes, SeededRng } from '../../src/util/random.js';
import { drive } from '../apps/rig.js';

const SERVER = '10.0.0.2';

function zone(): Zone {
  const z = new Zone();
  z.add('tunstack.test', SERVER);
  z.add('web.test', '10.0.0.80');
  for (let i = 1; i <= 40; i++) z.add('many.test', `10.1.0.${i}`);
  return z;
}

/** Send raw bytes from stack a to b's port 53 and collect replies for `ms` of virtual time. */
async function udpExchange(p: Pair, payloads: Buffer[], ms = 50): Promise<Buffer[]> {
  const sock: UdpSocket = p.a.createUdpSocket();
  const got: Buffer[] = [];
  sock.on('message', (m: Buffer) => got.push(m));
  for (const b of payloads) sock.send(b, 53, SERVER);
  for (let t = 0; t < ms; t++) {
    p.clock.advance(1);
    await new Promise<void>((r) => setImmediate(r));
  }
  sock.close();
  return got;
}

const q = (name: string, type: 'A' | 'PTR' | 'AAAA' = 'A', extra: Partial<dnsPacket.Packet> = {}) =>
  dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, class: 'IN', name }], ...extra });

describe('zone and flags', () => {
  it('normalises case and the root dot; reverse names per RFC 1035 §3.5', () => {
    const z = zone();
    expect(z.addresses('TunStack.Test.')).toEqual([SERVER]);
    expect(z.pointers(reverseName(SERVER))).toEqual(['tunstack.test']);
    expect(reverseName('10.77.0.2')).toBe('2.0.77.10.in-addr.arpa');
  });

  it('checks host names and name=addr records', () => {
    expect(checkHostname('tunstack.test')).toBeUndefined();
    expect(checkHostname('a..b')).toMatch(/1 to 63/);
    expect(checkHostname('-x.test')).toMatch(/letters, digits/);
    expect(checkHostname('x'.repeat(64) + '.test')).toMatch(/1 to 63/);
    expect(parseRecordSpec('web.test=10.0.0.5')).toEqual({ name: 'web.test', addr: '10.0.0.5' });
    expect(parseRecordSpec('web.test')).toMatch(/name=addr/);
    expect(parseRecordSpec('web.test=300.1.1.1')).toMatch(/not an IPv4 address/);
  });
});

describe('answers (RFC 1035 §4.1.1, RFC 2308)', () => {
  const ask = (pkt: Buffer) => answer(zone(), dnsPacket.decode(pkt));
  it('A, PTR, NXDOMAIN, NODATA', () => {
    expect(ask(q('web.test')).packet.answers).toEqual([{ name: 'web.test', type: 'A', class: 'IN', ttl: 60, data: '10.0.0.80' }]);
    expect(ask(q(reverseName(SERVER), 'PTR')).packet.answers?.[0]).toMatchObject({ type: 'PTR', data: 'tunstack.test' });
    expect(ask(q('nope.test')).rcode).toBe(RCODE.NXDOMAIN);
    const nodata = ask(q('web.test', 'AAAA'));
    expect(nodata.rcode).toBe(RCODE.NOERROR);
    expect(nodata.packet.answers).toEqual([]);
  });

  it('two questions: FORMERR; an opcode other than QUERY: NOTIMP', () => {
    const two = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name: 'a.test' }, { type: 'A', name: 'b.test' }] });
    expect(ask(two).rcode).toBe(RCODE.FORMERR);
    const status = q('web.test', 'A', { flags: 2 << 11 });
    expect(ask(status).rcode).toBe(RCODE.NOTIMP);
  });
});

describe('server on a stack (UDP and TCP 53)', () => {
  it('drops garbage and responses with a counted reason and keeps answering', async () => {
    const p = makePair({ seed: 5 });
    const dns = startDnsServer(p.b, zone());
    const response = dnsPacket.encode({ type: 'response', id: 9, questions: [{ type: 'A', name: 'web.test' }] });
    const got = await udpExchange(p, [Buffer.from([1, 2, 3]), Buffer.alloc(0), Buffer.alloc(300, 0xff), response, q('web.test')]);
    expect(got).toHaveLength(1);
    expect(dnsPacket.decode(got[0]).answers?.[0]).toMatchObject({ data: '10.0.0.80' });
    expect(dns.counters.malformed).toBe(3);
    expect(dns.counters.droppedResponses).toBe(1);
    expect(dns.counters.answered).toBe(1);
    await dns.close();
  });

  it('fuzz: 3000 random and mutated datagrams never stop it; each is answered or counted (seeded)', async () => {
    const seed = 77;
    console.log(`dns fuzz seed=${seed}`);
    const rng = new SeededRng(seed);
    const p = makePair({ seed });
    // One source sends all 3000: response rate limiting (tested below) would withhold most.
    const dns = startDnsServer(p.b, zone(), 53, { rateLimit: false });
    const base = [q('web.test'), q('many.test'), q(reverseName(SERVER), 'PTR'), q('nope.test', 'AAAA')];
    const inputs: Buffer[] = [];
    for (let i = 0; i < 3000; i++) {
      if (i % 3 === 0) inputs.push(randBytes(rng, 1 + (rng.u32() % 80)));
      else {
        const m = Buffer.from(base[i % base.length]);
        for (let k = 0; k < 1 + (rng.u32() % 4); k++) m[rng.u32() % m.length] = rng.u32() & 0xff;
        inputs.push(i % 7 === 0 ? m.subarray(0, rng.u32() % m.length) : m);
      }
    }
    for (let i = 0; i < inputs.length; i += 100) await udpExchange(p, inputs.slice(i, i + 100), 5);
    const c = dns.counters;
    expect(c.udpQueries).toBe(3000);
    expect(c.answered + c.nxdomain + c.formerr + c.notimp + c.refused + c.malformed + c.droppedResponses).toBe(3000);
    expect(c.malformed).toBeGreaterThan(500);
    // Still serving.
    const [ok] = await udpExchange(p, [q('web.test')]);
    expect(dnsPacket.decode(ok).answers?.[0]).toMatchObject({ data: '10.0.0.80' });
    await dns.close();
  });

  it('rate-limits UDP responses per source (RRL): burst, then slip every 2nd as TC, drop the rest; refills in virtual time', async () => {
    const p = makePair({ seed: 9 });
    const dns = startDnsServer(p.b, zone(), 53, { rateLimit: { perSec: 10, burst: 20, slip: 2 } });
    // 40 A records with EDNS0 4096: a ~700-octet answer to a ~40-octet query, the amplifier's favourite.
    const query = q('many.test', 'A', { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, flags: 0 } as never] });
    const got = await udpExchange(p, Array.from({ length: 100 }, () => query), 5);
    const full = got.filter((m) => !(dnsPacket.decode(m).flags! & dnsPacket.TRUNCATED_RESPONSE));
    const slipped = got.filter((m) => dnsPacket.decode(m).flags! & dnsPacket.TRUNCATED_RESPONSE);
    expect(full).toHaveLength(20);
    expect(full[0].length).toBeGreaterThan(10 * query.length);
    expect(slipped).toHaveLength(40);
    // A slipped reply carries no records and is no larger than the query: nothing to amplify.
    for (const m of slipped) {
      expect(dnsPacket.decode(m).answers).toHaveLength(0);
      expect(m.length).toBeLessThanOrEqual(query.length);
    }
    expect(dns.counters).toMatchObject({ udpQueries: 100, answered: 20, rrlSlipped: 40, rrlDropped: 40 });
    // One second later, 10 more tokens (perSec 10).
    p.clock.advance(1000);
    const later = await udpExchange(p, Array.from({ length: 10 }, () => q('web.test')), 5);
    expect(later.filter((m) => dnsPacket.decode(m).answers?.length === 1)).toHaveLength(10);
    await dns.close();
  });

  it('RRL buckets are per /24 and bounded in number', async () => {
    const { ResponseRateLimiter } = await import('../../src/dns/rrl.js');
    const clock = { now: () => 0 };
    const rrl = new ResponseRateLimiter(clock, { perSec: 1, burst: 1, slip: 0, maxSources: 2 });
    expect(rrl.verdict('10.0.0.1')).toBe('send');
    expect(rrl.verdict('10.0.0.200')).toBe('drop'); // same /24
    expect(rrl.verdict('10.0.1.1')).toBe('send');
    expect(rrl.verdict('10.0.2.1')).toBe('send'); // forgets 10.0.0/24
    expect(rrl.size).toBe(2);
    expect(rrl.verdict('10.0.0.1')).toBe('send');
  });

  it('truncates past 512 octets (TC, no records) but not within an EDNS0 size of 4096', async () => {
    const p = makePair({ seed: 6 });
    const dns = startDnsServer(p.b, zone());
    const [plain] = await udpExchange(p, [q('many.test')]);
    const d = dnsPacket.decode(plain);
    expect(d.flag_tc).toBe(true);
    expect(d.answers).toEqual([]);
    expect(plain.length).toBeLessThanOrEqual(512);
    const edns = q('many.test', 'A', { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, flags: 0 } as never] });
    const [big] = await udpExchange(p, [edns]);
    expect(dnsPacket.decode(big).flag_tc).toBe(false);
    expect(dnsPacket.decode(big).answers).toHaveLength(40);
    expect(dns.counters.truncated).toBe(1);
    await dns.close();
  });

  it('TCP: two queries on one connection, framing split byte by byte (RFC 1035 §4.2.2, RFC 7766 §6.2)', async () => {
    const p = makePair({ seed: 7 });
    const dns = startDnsServer(p.b, zone());
    const wire = Buffer.concat([dnsPacket.streamEncode({ type: 'query', id: 1, questions: [{ type: 'A', name: 'many.test' }] }), dnsPacket.streamEncode({ type: 'query', id: 2, questions: [{ type: 'A', name: 'nope.test' }] })]);
    const replies = await drive(
      p,
      new Promise<Buffer>((resolve) => {
        const s = p.a.connect({ host: SERVER, port: 53, noDelay: true }, () => {
          let i = 0;
          const step = (): void => {
            if (i < wire.length) {
              s.write(wire.subarray(i, i + 1));
              i++;
              setImmediate(step);
            }
          };
          step();
        });
        const parts: Buffer[] = [];
        s.on('data', (d: Buffer) => {
          parts.push(d);
          const all = Buffer.concat(parts);
          const first = all.readUInt16BE(0) + 2;
          if (all.length >= first + 2 && all.length >= first + 2 + all.readUInt16BE(first)) {
            s.end();
            resolve(all);
          }
        });
      }),
    );
    const r1 = dnsPacket.streamDecode(replies) as dnsPacket.DecodedPacket;
    const r2 = dnsPacket.streamDecode(replies.subarray(replies.readUInt16BE(0) + 2)) as dnsPacket.DecodedPacket;
    expect(r1.id).toBe(1);
    expect(r1.answers).toHaveLength(40);
    expect(r2.id).toBe(2);
    expect((r2.flags ?? 0) & 0xf).toBe(RCODE.NXDOMAIN);
    expect(dns.counters.tcpQueries).toBe(2);
    await dns.close();
  });
});

describe('stub resolver (stack.resolve4)', () => {
  it('answers A and PTR from our server; NXDOMAIN is ENOTFOUND, NODATA is ENODATA', async () => {
    const p = makePair({ seed: 8 });
    const dns = startDnsServer(p.b, zone());
    expect(await drive(p, p.a.resolve4('web.test', { server: SERVER }))).toEqual(['10.0.0.80']);
    expect(await drive(p, reverse(p.a, SERVER, { server: SERVER }))).toEqual(['tunstack.test']);
    await expect(drive(p, p.a.resolve4('nope.test', { server: SERVER }))).rejects.toMatchObject({ code: 'ENOTFOUND', hostname: 'nope.test' });
    await expect(drive(p, reverse(p.a, '10.0.0.99', { server: SERVER }))).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await dns.close();
  });

  it('retries after a lost query, ignores answers from the wrong port or with the wrong ID, then times out exactly', async () => {
    const p = makePair({ seed: 9 });
    // A server that ignores the first query, then answers twice wrongly (other
    // source port, other ID) before answering right.
    const srv = p.b.createUdpSocket();
    const liar = p.b.createUdpSocket();
    liar.bind(5454);
    let seen = 0;
    srv.on('message', (m: Buffer, rinfo: { address: string; port: number }) => {
      seen++;
      if (seen === 1) return;
      const query = dnsPacket.decode(m);
      const reply = (id: number, addr: string) =>
        dnsPacket.encode({ type: 'response', id, flags: dnsPacket.AUTHORITATIVE_ANSWER, questions: query.questions, answers: [{ type: 'A', name: 'x.test', ttl: 1, data: addr }] });
      liar.send(reply(query.id ?? 0, '6.6.6.6'), rinfo.port, rinfo.address);
      srv.send(reply(((query.id ?? 0) + 1) & 0xffff, '7.7.7.7'), rinfo.port, rinfo.address);
      srv.send(reply(query.id ?? 0, '10.0.0.42'), rinfo.port, rinfo.address);
    });
    srv.bind(53);
    const t0 = p.clock.now();
    expect(await drive(p, p.a.resolve4('x.test', { server: SERVER, timeoutMs: 500, tries: 2 }))).toEqual(['10.0.0.42']);
    expect(seen).toBe(2);
    expect(p.clock.now() - t0).toBeGreaterThanOrEqual(500);
    // Nobody answers on 5353: three tries of 400 ms, then ETIMEOUT, in virtual time.
    const t1 = p.clock.now();
    const err = await drive(p, p.a.resolve4('x.test', { server: SERVER, port: 5353, timeoutMs: 400, tries: 3 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnsError);
    expect((err as DnsError).code).toBe('ETIMEOUT');
    expect(p.clock.now() - t1).toBeGreaterThanOrEqual(1200);
    expect(p.clock.now() - t1).toBeLessThan(1220);
  });
});
