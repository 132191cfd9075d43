/**
 * What every example needs: Stacks joined by in-memory links, so each runs
 * with one command and no root (swap `createMemoryLinkPair` for `TunLink.open`
 * to put a stack on a real device). The stacks run on a RealClock, whose one
 * Node timer is unref'd; `hold()` keeps the process alive until the example
 * is done.
 */
import { createMemoryLinkPair, CryptoRng, RealClock, Stack } from '../src/index.js';

export const clock = new RealClock();

/** Two stacks with the given addresses on the two ends of one in-memory link (10.0.0.0/24). */
export function stackPair(addrA: string, addrB: string): [Stack, Stack] {
  const [la, lb] = createMemoryLinkPair({ clock, rng: new CryptoRng() });
  return [new Stack({ link: la, addr: addrA, clock }), new Stack({ link: lb, addr: addrB, clock })];
}

/** Keep the event loop alive until the returned function is called. */
export function hold(): () => void {
  const t = setInterval(() => {}, 1 << 30);
  return () => clearInterval(t);
}

/** Run `main` when this module is the program (`node dist/examples/x.js`), print its result, exit. */
export function runIfMain(url: string, main: () => Promise<unknown>): void {
  if (process.argv[1] === undefined || !url.endsWith(process.argv[1].replace(/^.*\/dist\//, '/dist/'))) return;
  const release = hold();
  main().then(
    (r) => {
      release();
      clock.stop();
      if (r !== undefined) console.log(typeof r === 'string' ? r : JSON.stringify(r, null, 2));
    },
    (e: unknown) => {
      release();
      clock.stop();
      console.error(e);
      process.exitCode = 1;
    },
  );
}
