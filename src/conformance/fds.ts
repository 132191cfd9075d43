/**
 * File descriptors as packetdrill maps them (run_system_call.c: to_live_fd,
 * check_duplicate_fd, run_syscall_close): the number a script writes as the
 * result of socket()/accept() names whatever descriptor the stack returned,
 * every later call's fd is translated through that table, and a call on a
 * number the script never opened is a script error ("unable to find fd with
 * script fd N"), not an EBADF. A successful close() removes the number
 * (packetdrill marks it closed and no longer finds it), so using it again is
 * that same script error.
 */
import type { Expr, SyscallSpec } from './script.js';

/** Calls whose first argument is not a descriptor. */
const NO_FD_ARG = new Set(['socket', 'poll']);
/** Calls that create a descriptor. */
const CREATES_FD = new Set(['socket', 'accept', 'accept4']);

export class FdMap {
  private readonly live = new Map<number, number>();

  /** The call with script fds replaced by live ones, or packetdrill's error for an fd never opened. */
  toLive(call: SyscallSpec): SyscallSpec | string {
    if (call.name === 'poll') {
      const fds = call.args[0];
      if (fds?.t !== 'array') return call;
      const items: Expr[] = [];
      for (const it of fds.items) {
        if (it.t !== 'struct') return call;
        const f = it.fields.find((x) => x.name === 'fd');
        if (!f || f.value.t !== 'int') {
          items.push(it);
          continue;
        }
        const l = this.live.get(f.value.v);
        if (l === undefined) return `unable to find fd with script fd ${f.value.v}`;
        items.push({ t: 'struct', fields: it.fields.map((x) => (x === f ? { name: 'fd', value: { t: 'int', v: l } } : x)) });
      }
      return { ...call, args: [{ t: 'array', items }, ...call.args.slice(1)] };
    }
    if (NO_FD_ARG.has(call.name) || call.args.length === 0) return call;
    const a0 = call.args[0];
    if (a0.t !== 'int') return call;
    const l = this.live.get(a0.v);
    if (l === undefined) return `unable to find fd with script fd ${a0.v}`;
    return { ...call, args: [{ t: 'int', v: l }, ...call.args.slice(1)] };
  }

  /**
   * After the script's `call` returned `r`: close() forgets its fd; socket()/accept() bind the script's number to
   * the live one and report the script's number (so the result check compares
   * like with like). A duplicate script fd is packetdrill's "duplicate fd".
   */
  fromLive<R extends { ret: number }>(call: SyscallSpec, r: R): R | string {
    if (call.name === 'close' && r.ret === 0 && call.args[0]?.t === 'int') this.live.delete(call.args[0].v);
    if (!CREATES_FD.has(call.name) || r.ret < 0) return r;
    const script = call.ret.t === 'int' ? call.ret.v : r.ret;
    if (this.live.has(script)) return `duplicate fd ${script} in script`;
    this.live.set(script, r.ret);
    return { ...r, ret: script };
  }

  /** The live descriptor of a script fd (for TCP_INFO lookups). */
  liveOf(script: number): number | undefined {
    return this.live.get(script);
  }
}
