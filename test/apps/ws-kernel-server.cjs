// A WebSocket echo server on the kernel side (run with `ip netns exec NS node`),
// for our ws client to dial. argv: wsModulePath host port
const [wsPath, host, port] = process.argv.slice(2);
const { WebSocketServer } = require(wsPath);
const wss = new WebSocketServer({ host, port: Number(port), perMessageDeflate: false });
wss.on('connection', (ws) => ws.on('message', (d, isBinary) => ws.send(d, { binary: isBinary })));
wss.on('listening', () => console.log('listening'));
