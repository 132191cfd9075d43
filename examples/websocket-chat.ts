/**
 * A WebSocket chat room: a `ws` server on one stack (noServer + node:http's
 * upgrade event), three `ws` clients on another, every message broadcast to
 * everyone. Prints what each client saw.
 *
 *   npm run example -- websocket-chat
 */
import http from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { stackConnection } from '../src/index.js';
import { runIfMain, stackPair } from './lib.js';

export async function main(): Promise<Record<string, string[]>> {
  const [server, clients] = stackPair('10.0.0.1', '10.0.0.2');
  const web = http.createServer((_req, res) => res.end('chat at /chat\n'));
  const room = new WebSocketServer({ noServer: true });
  web.on('upgrade', (req, socket, head) => room.handleUpgrade(req, socket, head, (ws) => room.emit('connection', ws, req)));
  let serverSideOpen = 0;
  let serverSideClosed: () => void = () => {};
  const allServerSideClosed = new Promise<void>((resolve) => (serverSideClosed = resolve));
  room.on('connection', (ws) => {
    serverSideOpen++;
    ws.on('close', () => --serverSideOpen === 0 && serverSideClosed());
    ws.on('message', (data) => {
      for (const peer of room.clients) peer.send(data.toString());
    });
  });
  const listener = server.createServer((socket) => web.emit('connection', socket));
  listener.listen(80);

  const names = ['ada', 'grace', 'linus'];
  const seen: Record<string, string[]> = {};
  const expected = names.length * names.length;
  let total = 0;
  // Resolves once every client has finished the closing handshake (RFC 6455 §7), so
  // no socket is left waiting on ws's close timer when the stacks go away.
  const done = new Promise<void>((resolve) => {
    let closed = 0;
    const sockets = names.map((name) => {
      seen[name] = [];
      const ws = new WebSocket('ws://10.0.0.1/chat', { createConnection: stackConnection(clients) as never });
      ws.on('message', (d) => {
        seen[name].push(d.toString());
        if (++total === expected) for (const s of sockets) s.close(1000);
      });
      ws.on('close', () => ++closed === sockets.length && resolve());
      return ws;
    });
    let open = 0;
    for (const ws of sockets) {
      ws.on('open', () => {
        // Everyone speaks once all are in the room, so everyone hears every line.
        if (++open === sockets.length) sockets.forEach((s, j) => s.send(`${names[j]}: hello from client ${j}`));
      });
    }
  });
  await done;
  // The server's side of each connection closes its TCP after the closing
  // handshake; wait for that too, so nothing is in flight when the stacks stop.
  await allServerSideClosed;
  listener.close();
  room.close();
  await Promise.all([server.close(), clients.close()]);
  for (const k of names) seen[k].sort();
  return seen;
}

runIfMain(import.meta.url, main);
