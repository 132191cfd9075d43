// A WebSocket client on the kernel side (run with `ip netns exec NS node`):
// sends TOTAL bytes in binary messages of CHUNK bytes as fast as the socket
// takes them (bufferedAmount as backpressure), reads the echoes, and prints
// the sha256 of what it sent and of what came back, then the close code.
// argv: wsModulePath url totalBytes chunkBytes
const [wsPath, url, total, chunk] = process.argv.slice(2);
const { WebSocket } = require(wsPath);
const crypto = require('node:crypto');
const TOTAL = Number(total);
const CHUNK = Number(chunk);
const sent = crypto.createHash('sha256');
const got = crypto.createHash('sha256');
let sentBytes = 0;
let gotBytes = 0;
let seq = 0;
const ws = new WebSocket(url, { rejectUnauthorized: false, perMessageDeflate: false, maxPayload: CHUNK * 2 });
function pump() {
  while (sentBytes < TOTAL && ws.bufferedAmount < 4 * CHUNK) {
    const n = Math.min(CHUNK, TOTAL - sentBytes);
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i += 4) b.writeUInt32LE((seq++ * 2654435761) >>> 0, i);
    sent.update(b);
    sentBytes += n;
    ws.send(b, { binary: true });
  }
  if (sentBytes < TOTAL) setTimeout(pump, 1);
}
ws.on('open', pump);
ws.on('message', (d) => {
  got.update(d);
  gotBytes += d.length;
  if (gotBytes >= TOTAL) ws.close(1000, 'done');
});
ws.on('close', (code) => {
  console.log(JSON.stringify({ sent: sent.digest('hex'), got: got.digest('hex'), sentBytes, gotBytes, code }));
});
ws.on('error', (e) => {
  console.error('ws error', e.message);
  process.exit(3);
});
