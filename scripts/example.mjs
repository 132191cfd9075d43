// `npm run example -- NAME`: run dist/examples/NAME.js (built by `npm run build`).
import { existsSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
const name = process.argv[2];
const dir = new URL('../dist/examples/', import.meta.url);
const known = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.js') && f !== 'lib.js').map((f) => f.slice(0, -3)) : [];
if (!name || !known.includes(name)) {
  console.error(`usage: npm run example -- NAME   (NAME: ${known.join(', ')})`);
  process.exit(2);
}
const r = spawnSync(process.execPath, [new URL(`${name}.js`, dir).pathname], { stdio: 'inherit' });
process.exit(r.status ?? 1);
