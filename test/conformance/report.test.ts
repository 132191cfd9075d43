/** `--target both` output: the table streams row by row, then the reasons and one count line per target. */
import { describe, expect, it } from 'vitest';
import { BothTable } from '../../src/conformance/report.js';

describe('--target both table', () => {
  it('prints script x {tunstack, linux}, the non-PASS reasons, and both counts; exit 1 on any FAIL', () => {
    let out = '';
    const t = new BothTable({ write: (s: string) => (out += s) }, ['a.pkt', 'longer/b.pkt']);
    t.add({ name: 'a.pkt', tunstack: { status: 'PASS' }, linux: { status: 'PASS' } });
    t.add({ name: 'longer/b.pkt', tunstack: { status: 'PASS' }, linux: { status: 'SKIP', reason: 'linux-differs: RFC 1337' } });
    expect(out).toBe('script        tunstack  linux\na.pkt         PASS      PASS\nlonger/b.pkt  PASS      SKIP\n');
    expect(t.finish()).toBe(0);
    expect(out).toContain('\nSKIP linux longer/b.pkt: linux-differs: RFC 1337\ntunstack: 2 passed, 0 failed, 0 skipped\nlinux: 1 passed, 0 failed, 1 skipped\n');
    const f = new BothTable({ write: () => true }, ['x']);
    f.add({ name: 'x', tunstack: { status: 'PASS' }, linux: { status: 'FAIL', message: 'packetdrill: line 3: ...' } });
    expect(f.finish()).toBe(1);
  });
});
