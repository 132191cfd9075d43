/**
 * ECN (RFC 3168 §6.1) on the real wire against Linux TCP (kernel
 * net.ipv4.tcp_ecn=1 in a namespace this test creates and removes):
 *  - a kernel client asks for ECN (§6.1.1) and we, at the default tcp_ecn
 *    = 2, accept; its data arrives ECT(0); CE marks (our seeded faults
 *    layer on what we receive) are echoed with ECE and the kernel answers
 *    with CWR (§6.1.2–§6.1.3);
 *  - we ask (tcp_ecn = 1) and the kernel server accepts; an iptables TOS
 *    rule in the kernel's namespace marks CE on a share of our ECT(0)
 *    packets, the kernel echoes ECE, and we reduce and send CWR.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomInt } from 'node:crypto';
import { createNetns, linuxReady, type Netns } from './harness.js';
import { Stack } from '../../src/stack.js';
import { TunLink } from '../../src/link/tun.js';
import { withFaults, type FaultyLink } from '../../src/link/faults.js';
import { RealClock } from '../../src/time/real-clock.js';
import { SeededRng } from '../../src/util/random.js';
import type { TcpConnection, TcpInfo } from '../../src/tcp/api.js';
import { ipv4 } from '../../src/wire/ip-address.js';

const ready = linuxReady('iptables');
const HOST = '10.77.31.1';
const ADDR = '10.77.31.2';
const N = 4 * 1024 * 1024;

describe.skipIf(!ready)('ECN against Linux TCP with tcp_ecn=1 (linux)', () => {
  const seed = Number(process.env.TUNSTACK_ECN_SEED ?? randomInt(2 ** 31));
  let ns: Netns;
  let stack: Stack;
  let link: FaultyLink;

  beforeAll(async () => {
    console.log(`ecn-linux seed ${seed} (replay with TUNSTACK_ECN_SEED=${seed})`);
    ns = await createNetns('tsecn');
    await ns.exec('sysctl', ['-qw', 'net.ipv4.tcp_ecn=1'], { check: true });
    const clock = new RealClock();
    const tun = TunLink.open({ name: 'tun0', netns: ns.name, mtu: 1500, addr: HOST, prefixLen: 24, up: true });
    link = withFaults(tun, { clock, rng: new SeededRng(seed), tx: {}, rx: {} });
    stack = new Stack({ link, addr: ADDR, clock, rng: new SeededRng(seed ^ 0x5bd1e995), tcp: { ecn: 1 } });
  });

  afterAll(async () => {
    try {
      await stack?.close();
    } finally {
      ns?.destroy();
    }
  });

  it('a kernel client asks for ECN and we accept; CE marks on its data are echoed with ECE until it sends CWR', async () => {
    stack.tcp.options.ecn = 2; // the default: accept when asked
    let info: TcpInfo | undefined;
    let received = 0;
    const done = new Promise<void>((resolve) => {
      const l = stack.tcp.listen(5001, 8, () => {
        const c = l.accept();
        if (!c) return;
        c.handler = {
          onConnect() {},
          onReadable() {
            for (let d = c.read(); d; d = c.read()) received += d.length;
            info = c.info();
            if (c.readEnded) c.close(); // the client's FIN: close our side too
          },
          onWritable() {},
          onError() {},
          onClose() {
            resolve();
          },
        };
        info = c.info();
      });
    });
    // An AQM on the way to us marks 20% of ECN-capable packets (the kernel's TSO super-packets arrive whole: few packets).
    link.faults.rx.ce = 0.2;
    const client = await ns.exec(
      process.execPath,
      ['-e', `const s = require('net').connect(5001, '${ADDR}', () => s.end(Buffer.alloc(${N}, 1))); s.on('data', () => {}); s.on('close', () => console.log('ok')); s.on('error', (e) => { console.log(e.code); process.exit(1); });`],
      { timeoutMs: 30_000 },
    );
    link.faults.rx.ce = 0;
    expect(client.stdout.trim(), client.stderr).toBe('ok');
    await done;
    expect(received).toBe(N);
    const marked = link.counters.rx.ceMarked;
    console.log(`ecn-linux: ${marked} CE marks on the kernel's data; our echo ended by ${stack.tcp.stats.TCPECNCwrRecv ?? 0} CWRs`);
    expect(info!.ecn).toBe(true);
    expect(marked).toBeGreaterThan(0); // so the kernel's data was ECT: only ECT packets are marked
    expect(info!.ecnCeReceived).toBe(marked);
    expect(stack.tcp.stats.TCPECNCwrRecv ?? 0).toBeGreaterThan(0); // the kernel reacted to our ECE (tcp_enter_cwr)
  }, 40_000);

  it('we ask for ECN and the kernel server accepts; CE marked by iptables in its namespace makes it echo ECE, and we reduce and send CWR', async () => {
    stack.tcp.options.ecn = 1;
    const server = ns.spawn(process.execPath, [
      '-e',
      `require('net').createServer((s) => { let n = 0; s.on('data', (d) => (n += d.length)); s.on('end', () => { console.log('got ' + n); s.end(); }); }).listen(5002, '${HOST}', () => console.log('up'));`,
    ]);
    await new Promise<void>((resolve) => server.stdout!.on('data', (d: Buffer) => d.toString().includes('up') && resolve()));
    // Mark CE on 3% of ECT(0) packets entering the kernel (RFC 3168 §5: only ECN-capable packets are marked).
    const rule = ['-t', 'mangle', '-A', 'PREROUTING', '-i', 'tun0', '-p', 'tcp', '-m', 'ecn', '--ecn-ip-ect', '2', '-m', 'statistic', '--mode', 'random', '--probability', '0.03', '-j', 'TOS', '--set-tos', '0x03/0x03'];
    await ns.exec('iptables', rule, { check: true });
    let conn: TcpConnection | undefined = undefined;
    let sent = 0;
    const data = Buffer.alloc(N, 2);
    const closed = new Promise<void>((resolve, reject) => {
      const pump = (): void => {
        while (conn && sent < N) {
          const n = conn.send(data.subarray(sent));
          if (n === 0) return;
          sent += n;
        }
        if (conn && sent === N) conn.close();
      };
      conn = stack.tcp.connect(ipv4(HOST), 5002, {
        onConnect: pump,
        onReadable() {
          for (let d = conn!.read(); d; d = conn!.read());
        },
        onWritable: pump,
        onError: (e) => reject(new Error(String(e))),
        onClose: () => resolve(),
      });
    });
    const timeout = setTimeout(() => server.kill(), 30_000);
    await closed;
    clearTimeout(timeout);
    const info = conn!.info();
    const counted = await ns.exec('iptables', ['-t', 'mangle', '-L', 'PREROUTING', '-v', '-x', '-n'], { check: true });
    const marks = Number(counted.stdout.split('\n').find((l) => l.includes('TOS'))?.trim().split(/\s+/)[0] ?? 0);
    console.log(`ecn-linux: iptables marked ${marks} of our packets CE; we reduced ${info.ecnReductions} times; ssthresh ${info.ssthresh}`);
    expect(info.ecn).toBe(true);
    expect(marks).toBeGreaterThan(0); // the rule matched ECT(0): our data was ECN-capable on the wire
    expect(info.ecnReductions).toBeGreaterThan(0);
    expect(info.ecnReductions!).toBeLessThanOrEqual(marks);
    expect(stack.tcp.stats.TCPECNReduction).toBe(info.ecnReductions);
  }, 40_000);
});
