export { TcpSocket, type TcpSocketOptions, type SocketConnectOptions } from './socket.js';
export { TcpServer, type TcpServerOptions, type ListenOptions } from './server.js';
export { connect, createConnection, createServer, type ConnectOptions } from './connect.js';
export { socketError, ERRNO, type SocketError, type SocketErrorCode } from './errors.js';
