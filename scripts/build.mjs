#!/usr/bin/env node
// `npm run build`: compile the TypeScript (tsc -p tsconfig.json). Inside
// `npm run vm` (TUNSTACK_VM=1) it does nothing: the guest runs the host's
// checkout, which `npm run vm` compiled on the host just before booting, and
// tsc under TCG takes minutes (17 s on the host → 5+ min in the guest), so
// `npm run vm -- npm run conformance -- --wire` would spend them on a no-op.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

if (process.env.TUNSTACK_VM === '1') {
  process.stderr.write('build: skipped inside npm run vm (the host compiled this checkout before booting)\n');
  process.exit(0);
}
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
