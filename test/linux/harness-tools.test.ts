/** The harness's tool check: a missing Debian tool is a loud SKIP naming the package, never a failure. */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { haveTool, linuxReady, missingTool, TOOL_PACKAGES } from './harness.js';

describe('Linux test harness: tool checks', () => {
  it('finds tools on PATH and by absolute path', () => {
    expect(haveTool('sh')).toBe(true);
    expect(haveTool('/bin/sh')).toBe(true);
    expect(haveTool('tunstack-no-such-tool')).toBe(false);
    expect(haveTool('/nonexistent/ping')).toBe(false);
  });

  it('names the missing tool and the Debian package that provides it', () => {
    expect(missingTool(['sh'])).toBeUndefined();
    expect(missingTool(['sh', 'tunstack-no-such-tool'])).toBe('missing tunstack-no-such-tool (apt-get install tunstack-no-such-tool)');
    expect(TOOL_PACKAGES.ping).toBe('iputils-ping');
  });

  it('linuxReady with a missing tool prints SKIP (linux): missing <tool> (apt-get install <pkg>) and says not ready', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const saved = process.env.PATH;
      // A PATH with iproute2 and a shell but no ping.
      const bin = mkdtempSync(join(tmpdir(), 'tunstack-path-'));
      for (const t of ['ip', 'sh']) {
        const real = (saved ?? '').split(':').map((d) => join(d, t)).find((p) => haveTool(p));
        if (real) symlinkSync(real, join(bin, t));
      }
      process.env.PATH = bin;
      let ok: boolean;
      try {
        ok = linuxReady('ping');
      } finally {
        process.env.PATH = saved;
        rmSync(bin, { recursive: true, force: true });
      }
      expect(ok).toBe(false);
      const line = String(warn.mock.calls[0]?.[0]);
      expect(line).toMatch(process.getuid?.() === 0 ? /^SKIP \(linux\): missing ping \(apt-get install iputils-ping\)$/ : /^SKIP \(linux\): not running as root/);
    } finally {
      warn.mockRestore();
    }
  });
});
