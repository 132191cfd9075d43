/** Every fuzz target, in the order `npm run fuzz` runs them. */
import type { FuzzTarget } from './harness.js';
import { reassemblyTarget } from './reassembly-target.js';
import { scriptTarget } from './script-target.js';
import { stackTarget } from './stack-target.js';
import { tcpModelTarget } from './tcp-model-target.js';
import { WIRE_TARGETS } from './wire-targets.js';

export const ALL_TARGETS: FuzzTarget[] = [...WIRE_TARGETS, reassemblyTarget, stackTarget, tcpModelTarget, scriptTarget];
