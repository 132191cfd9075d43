import { describe, expect, it } from 'vitest';
import { formatTunError, loadAddon, type NativeError } from '../../src/link/native.js';

function nerr(code: string, message: string, detail = '/dev/net/tun'): NativeError {
  const e = new Error(message) as NativeError;
  e.code = code;
  e.errno = -1;
  e.syscall = 'open';
  e.detail = detail;
  return e;
}

describe('addon error messages say what to do', () => {
  it('EPERM and EACCES name root or CAP_NET_ADMIN', () => {
    for (const code of ['EPERM', 'EACCES']) {
      const e = formatTunError(nerr(code, 'ioctl TUNSETIFF tun0: Operation not permitted', 'TUNSETIFF tun0'), { name: 'tun0' });
      expect(e.message).toMatch(/needs root or CAP_NET_ADMIN/);
      expect(e.message).toContain('Operation not permitted');
      expect(e.code).toBe(code);
      expect(e.syscall).toBe('open');
    }
  });

  it('EPERM with a netns also names CAP_SYS_ADMIN (setns)', () => {
    const e = formatTunError(nerr('EPERM', 'setns netns x: Operation not permitted', 'netns x'), { netns: 'x' });
    expect(e.message).toContain('CAP_SYS_ADMIN');
  });

  it('ENOENT on /dev/net/tun says modprobe tun', () => {
    const e = formatTunError(nerr('ENOENT', 'open /dev/net/tun: No such file or directory'));
    expect(e.message).toContain('modprobe tun');
  });

  it('ENOENT on a namespace says ip netns add', () => {
    const e = formatTunError(nerr('ENOENT', 'open netns /var/run/netns/foo: No such file', 'netns /var/run/netns/foo'), { netns: 'foo' });
    expect(e.message).toContain("ip netns add foo");
  });

  it('EBUSY and EEXIST say the name is in use', () => {
    for (const code of ['EBUSY', 'EEXIST']) {
      const e = formatTunError(nerr(code, 'ioctl TUNSETIFF tun0: Device or resource busy', 'TUNSETIFF tun0'), { name: 'tun0' });
      expect(e.message).toContain("'tun0' is already in use");
    }
  });

  it('the built addon loads and exposes TunDevice', () => {
    const addon = loadAddon();
    expect(typeof addon.TunDevice).toBe('function');
  });

  it('rejects bad options as TypeErrors before touching the kernel', () => {
    const { TunDevice } = loadAddon();
    expect(() => new TunDevice({ mode: 'tap', name: 'x'.repeat(16) })).toThrow(/longer than 15/);
    expect(() => new TunDevice({ mode: 'bogus' as 'tun' })).toThrow(/mode must be/);
    expect(() => new TunDevice({ txQueueMax: -1 })).toThrow(/txQueueMax must be >= 0/);
  });
});
