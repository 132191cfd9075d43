/**
 * The server side of bench/conn-rate.ts on kernel TCP: run in a namespace by
 * the bench as `node conn-rate-server.js service|hello ADDRESS`, prints `up`
 * once listening on ADDRESS:80.
 *
 *  - service: tunstack's own HTTP service (src/apps/http.ts startHttp: h2c
 *    preface routing, the request handler, the built-in index page) on a
 *    net.Server, so both sides of the comparison run the same application
 *    and differ only in the TCP underneath.
 *  - hello: a bare node:http server answering `hello\n`.
 */
import http from 'node:http';
import net from 'node:net';
import { startHttp } from '../src/apps/http.js';
import type { ServerFactory } from '../src/apps/service.js';

const [mode, address] = process.argv.slice(2);
if ((mode !== 'service' && mode !== 'hello') || !address) {
  console.error('usage: conn-rate-server.js service|hello ADDRESS');
  process.exit(2);
}
if (mode === 'hello') {
  http.createServer((_req, res) => res.end('hello\n')).listen(80, address, () => console.log('up'));
} else {
  // startHttp needs createServer(options, listener) and listen(port): net.Server has both, with
  // net.Socket for TcpSocket (setTimeout, pause/resume, unshift are all Node's own).
  let server: net.Server | undefined;
  const factory = {
    createServer: (options: net.ServerOpts, listener: (s: net.Socket) => void) => (server = net.createServer(options, listener)),
  } as unknown as ServerFactory;
  startHttp(factory, { port: 80 });
  server!.once('listening', () => console.log('up'));
}
