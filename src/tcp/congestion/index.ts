/** Controllers by name, as Linux's tcp_congestion_control / TCP_CONGESTION select them. */
import type { Rng } from '../../util/random.js';
import { Bbr } from './bbr.js';
import { Cubic } from './cubic.js';
import { NewReno } from './newreno.js';
import type { CongestionController } from './types.js';

const CONTROLLERS: Record<string, (initialCwnd: number, rng: Rng) => CongestionController> = {
  cubic: (iw) => new Cubic(iw),
  newreno: (iw) => new NewReno(iw),
  reno: (iw) => new NewReno(iw),
  bbr: (iw, rng) => new Bbr(iw, rng),
};

export const CONGESTION_CONTROLLERS: readonly string[] = Object.keys(CONTROLLERS);

export function isCongestionControl(name: string): boolean {
  return Object.hasOwn(CONTROLLERS, name);
}

/** A new controller (`rng`: the stack's injected randomness, BBR's gain-cycle phase); throws an Error naming the choices for an unknown name. */
export function createController(name: string, initialCwnd: number, rng: Rng): CongestionController {
  const make = CONTROLLERS[name];
  if (!make) throw new Error(`unknown congestion control '${name}' (choose one of: ${CONGESTION_CONTROLLERS.join(', ')})`);
  return make(initialCwnd, rng);
}
