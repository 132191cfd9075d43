export * from './types.js';
export { Ipv4Layer, type Ipv4LayerOptions } from './ipv4.js';
export { Icmp, type IcmpErrorHandler } from './icmp.js';
export { Reassembler, type ReassemblyOptions } from './reassembly.js';
export { TokenBucket } from './rate-limit.js';
export { fragment } from './fragment.js';
export * from './counters.js';
