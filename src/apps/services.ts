/**
 * The demo services `tunstack up --services` can start, by name.
 * TCP: echo (7, RFC 862), discard (9, RFC 863), chargen (19, RFC 864),
 * http (80); UDP: udp-echo (7).
 */
import type { Logger } from 'pino';
import type { Stack } from '../stack.js';
import { startEcho } from './echo.js';
import { startDiscard } from './discard.js';
import { startChargen } from './chargen.js';
import { startHttp, type HttpServiceOptions } from './http.js';
import { startUdpEcho } from './udp-echo.js';

export const SERVICE_NAMES = ['echo', 'discard', 'chargen', 'http', 'udp-echo'];

export interface RunningServices {
  /** e.g. "echo tcp/7, http tcp/80, udp-echo udp/7" */
  describe(): string;
  close(): Promise<void>;
}

interface Started {
  label: string;
  close(): unknown;
}

export async function startServices(
  stack: Stack,
  names: readonly string[],
  opts: { httpRoot?: string; logger?: Logger; dashboard?: HttpServiceOptions['dashboard'] } = {},
): Promise<RunningServices> {
  const started: Started[] = [];
  for (const name of names) {
    switch (name) {
      case 'echo':
        started.push({ label: 'echo tcp/7', ...wrap(startEcho(stack, 7)) });
        break;
      case 'discard':
        started.push({ label: 'discard tcp/9', ...wrap(startDiscard(stack, 9)) });
        break;
      case 'chargen':
        started.push({ label: 'chargen tcp/19', ...wrap(startChargen(stack, 19)) });
        break;
      case 'http':
        started.push({ label: `http tcp/80${opts.httpRoot ? ` (root ${opts.httpRoot})` : ''}`, ...wrap(startHttp(stack, { port: 80, root: opts.httpRoot, dashboard: opts.dashboard })) });
        break;
      case 'udp-echo':
        started.push({ label: 'udp-echo udp/7', ...wrap(startUdpEcho(stack.udp, 7)) });
        break;
      default:
        throw new Error(`unknown service '${name}'`);
    }
  }
  return {
    describe: () => started.map((s) => s.label).join(', '),
    close: async () => {
      for (const s of started.reverse()) await s.close();
    },
  };
}

function wrap(svc: { close(): unknown }): { close(): unknown } {
  return { close: () => svc.close() };
}
