/**
 * CPU profile of tunstack during one bulk transfer over a real TUN (the
 * kernel-side peer runs in a namespace this script creates and removes):
 * V8's sampling profiler (node:inspector) runs only around the transfer and
 * the top functions by self time are printed with their share.
 *
 * Run as root: `npm run bench:profile -- up|down on|off [MiB]`
 * (up: kernel → tunstack; down: tunstack → kernel).
 */
import { Session } from 'node:inspector/promises';
import { cleanupNetns, tunSide, tunstackRun } from './throughput-run.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const dir = process.argv[2] === 'down' ? 'down' : 'up';
const offload = process.argv[3] === 'off' ? 'off' : 'on';
const MIB = Number(process.argv[4] ?? 512);
const TOP = 15;

function summarize(p: Profile): string[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const cf = byId.get(id)!.callFrame;
    const where = cf.url ? `${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + p.timeDeltas[i]);
    total += p.timeDeltas[i];
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP)
    .map(([k, t]) => `${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`);
}

const session = new Session();
session.connect();
try {
  const side = tunSide(1500, offload);
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    const s = await tunstackRun({ dir, streams: 1, mtu: 1500 }, side, MIB * 1024 * 1024);
    const { profile } = (await session.post('Profiler.stop')) as { profile: Profile };
    console.log(`${dir}, offload ${offload}, ${MIB} MiB: ${s.gbps.toFixed(2)} Gbit/s, ${s.cpuPerGiB.toFixed(2)} CPU s/GiB (both ends)`);
    console.log(`top ${TOP} functions by self time (idle = waiting for the kernel or the peer):`);
    for (const line of summarize(profile)) console.log(line);
  } finally {
    await side.stack.close();
  }
} finally {
  session.disconnect();
  cleanupNetns();
}
