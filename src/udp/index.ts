export { UdpLayer, UDP_COUNTER_NAMES, UDP_MAX_PAYLOAD, type UdpCounters, type UdpIp, type UdpLayerOptions } from './udp.js';
export { UdpSocket, type RemoteInfo, type AddressInfo, type SendCallback, type SystemError } from './socket.js';
