/**
 * bench:wan's kernel reference server, run inside the server namespace: the
 * same two services tunstack runs for the bench, on kernel TCP — a source on
 * port 19 (like chargen, RFC 864: send until the peer goes) and a sink on
 * port 9 (discard, RFC 863). Writes honour backpressure.
 */
import { createServer } from 'node:net';

const chunk = Buffer.alloc(64 * 1024, 0x62);
const source = createServer((s) => {
  s.on('error', () => undefined);
  let open = true;
  s.on('close', () => (open = false));
  const pump = (): void => {
    while (open && s.write(chunk));
  };
  s.on('drain', pump);
  pump();
});
const sink = createServer((s) => {
  s.on('error', () => undefined);
  s.resume();
});
let listening = 0;
const ready = (): void => {
  if (++listening === 2) process.stdout.write('kernel-server ready\n');
};
source.listen(19, '0.0.0.0', ready);
sink.listen(9, '0.0.0.0', ready);
process.on('SIGTERM', () => process.exit(0));
