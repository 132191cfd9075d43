/**
 * The whole stack over a real TAP device, started the way a user starts it:
 * the BUILT command `node dist/src/cli.js up --tap ... --netns ...` (build
 * first with `npx tsc -p .`). The kernel side of the TAP is an Ethernet
 * interface, so every exchange needs the kernel to resolve our address with
 * ARP (RFC 826) and our EthernetLink to resolve the kernel's for replies.
 * The namespace is created and always removed by this test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, linuxReady, type Netns } from './harness.js';
import { CLI, startUp, type UpProcess } from '../run/up-process.js';

const ready = linuxReady('ping', 'tcpdump', 'socat');
const HOST = '10.77.31.1';
const ADDR = '10.77.31.2';

describe.skipIf(!ready)('stack over a real TAP via `tunstack up --tap` (linux)', () => {
  let ns: Netns;
  let up: UpProcess | undefined;

  beforeAll(async () => {
    ns = await createNetns('tsfd');
    up = await startUp([
      '--tap', 'tap0', '--netns', ns.name, '--host-addr', `${HOST}/24`, '--addr', ADDR,
      '--services', 'udp-echo', '--log-level', 'warn',
    ]);
  });

  afterAll(async () => {
    try {
      await up?.stop();
    } finally {
      ns?.destroy();
    }
  });

  it('reports the TAP device and namespace it runs on', () => {
    expect(up!.stdout()).toContain(`tunstack: tap tap0 in netns ${ns.name}, host ${HOST}/24, stack ${ADDR}, mtu 1500`);
  });

  it('answers ping -c 5 with 5 replies after answering the kernel ARP request (RFC 792 echo, RFC 826)', async () => {
    // A fresh neighbour entry proves ARP runs for this ping, not only for the CLI's readiness ping.
    await ns.exec('ip', ['neigh', 'flush', 'dev', 'tap0'], { check: true });
    const dump = ns.spawn('tcpdump', ['-i', 'tap0', '-n', '-l', '-c', '2', 'arp']);
    let arpLines = '';
    dump.stdout!.on('data', (d: Buffer) => (arpLines += d.toString()));
    const dumped = new Promise<void>((resolve) => dump.on('exit', () => resolve()));
    await new Promise((r) => setTimeout(r, 500)); // let tcpdump attach before the first frame
    const r = await ns.exec('ping', ['-c', '5', '-i', '0.2', '-W', '2', ADDR], { timeoutMs: 15_000 });
    expect(r.stdout).toMatch(/5 packets transmitted, 5 received/);
    await Promise.race([dumped, new Promise((res) => setTimeout(res, 3000))]);
    if (dump.exitCode === null && dump.pid !== undefined) process.kill(dump.pid, 'SIGKILL');
    expect(arpLines).toMatch(new RegExp(`ARP, Request who-has ${ADDR.replace(/\./g, '\\.')} tell ${HOST.replace(/\./g, '\\.')}`));
    expect(arpLines).toMatch(new RegExp(`ARP, Reply ${ADDR.replace(/\./g, '\\.')} is-at [0-9a-f:]{17}`));
  });

  it("the kernel learnt our MAC by ARP: its neighbour entry is REACHABLE/STALE with the TAP's peer MAC", async () => {
    const neigh = await ns.exec('ip', ['neigh', 'show', ADDR, 'dev', 'tap0'], { check: true });
    const m = /lladdr ([0-9a-f:]{17}) (REACHABLE|STALE|DELAY|PROBE)/.exec(neigh.stdout);
    expect(m, `ip neigh: ${neigh.stdout}`).not.toBeNull();
    const kernelMac = (await ns.exec('cat', ['/sys/class/net/tap0/address'], { check: true })).stdout.trim();
    const ourMac = m![1];
    expect(ourMac).not.toBe(kernelMac);
    // A locally administered unicast MAC (IEEE 802: bit 1 of the first octet set, bit 0 clear).
    expect(parseInt(ourMac.slice(0, 2), 16) & 0b11).toBe(0b10);
  });

  it('tunstack stat shows the TAP device, Ethernet and ARP counter groups (the ARP request answered)', async () => {
    const r = await ns.exec(process.execPath, [CLI, 'stat', '--tap', 'tap0', '--netns', ns.name], { timeoutMs: 10_000 });
    expect(r.stdout).toMatch(/^Link:\n(?: {4}\d+ \w+\n)*? {4}\d+ rxPackets\n/);
    expect(r.stdout).toMatch(/^Ethernet:\n/m);
    expect(r.stdout).toMatch(/^Arp:\n(?: {4}\d+ \w+\n)*? {4}[1-9]\d* rxRequests\n/m);
  });

  it('answers ping -s 4000 over TAP: request and reply fragmented both ways (RFC 791 §3.2)', async () => {
    const r = await ns.exec('ping', ['-c', '3', '-i', '0.2', '-W', '2', '-s', '4000', ADDR], { timeoutMs: 15_000 });
    expect(r.stdout).toMatch(/3 packets transmitted, 3 received/);
    expect(r.stdout).toMatch(/4008 bytes from/);
    // The kernel reassembled our fragmented replies: its Ip ReasmOKs counter moved.
    const snmp = (await ns.exec('cat', ['/proc/net/snmp'], { check: true })).stdout.split('\n').filter((l) => l.startsWith('Ip:'));
    const names = snmp[0].split(/\s+/);
    const values = snmp[1].split(/\s+/);
    expect(Number(values[names.indexOf('ReasmOKs')])).toBeGreaterThanOrEqual(3);
  });

  it('echoes a UDP datagram on port 7 over TAP', async () => {
    const r = await ns.exec('sh', ['-c', `printf 'over tap' | socat -t 2 - UDP4:${ADDR}:7`], { timeoutMs: 10_000 });
    expect(r.stdout).toBe('over tap');
  });

  it('stops cleanly on SIGTERM (exit 0) and leaves the namespace it did not create', async () => {
    const code = await up!.stop();
    up = undefined;
    expect(code).toBe(0);
    const links = await ns.exec('ip', ['-o', 'link'], { check: true });
    expect(links.stdout).not.toMatch(/tap0/);
  });
});
