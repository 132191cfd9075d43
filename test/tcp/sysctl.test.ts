import { describe, expect, it } from 'vitest';
import { DEFAULT_TCP_OPTIONS } from '../../src/tcp/api.js';
import { SYSCTLS, Sysctl, getSysctl, isSysctl, setSysctl } from '../../src/tcp/sysctl.js';

const fresh = () => ({ ...DEFAULT_TCP_OPTIONS });

describe('sysctl table (Linux net.ipv4 names over TcpOptions)', () => {
  it('maps booleans, seconds and enums onto the typed options', () => {
    const o = fresh();
    expect(setSysctl(o, 'net.ipv4.tcp_sack', '0')).toBe(true);
    expect(o.sack).toBe(false);
    expect(setSysctl(o, 'tcp_fin_timeout', '5')).toBe(true);
    expect(o.finWait2Timeout).toBe(5000);
    expect(setSysctl(o, 'net/ipv4/tcp_syncookies', '2')).toBe(true);
    expect(o.synCookies).toBe('always');
    expect(setSysctl(o, 'net.ipv4.ip_no_pmtu_disc', '1')).toBe(true);
    expect(o.pmtuDisc).toBe(false);
    expect(getSysctl(o, 'net.ipv4.ip_no_pmtu_disc')).toBe('1');
    expect(setSysctl(o, 'net.ipv4.tcp_rfc1337', '0')).toBe(true);
    expect(o.rfc1337).toBe(false);
  });

  it('tcp_rmem: the maximum sizes the buffer, the triple reads back as written', () => {
    const o = fresh();
    expect(setSysctl(o, 'net.ipv4.tcp_rmem', '4096 87380 15728640')).toBe(true);
    expect(o.rcvBuf).toBe(15728640);
    expect(getSysctl(o, 'tcp_rmem')).toBe('4096 87380 15728640');
  });

  it('tcp_mem: low pressure high pages, ordered', () => {
    const o = fresh();
    expect(setSysctl(o, 'net.ipv4.tcp_mem', '100 200 300')).toBe(true);
    expect(o.tcpMem).toEqual([100, 200, 300]);
    expect(getSysctl(o, 'tcp_mem')).toBe('100 200 300');
    expect(setSysctl(o, 'net.ipv4.tcp_mem', '300 200 100')).toBe(false);
    expect(setSysctl(o, 'net.ipv4.tcp_mem', '1 2')).toBe(false);
    expect(o.tcpMem).toEqual([100, 200, 300]);
  });

  it('unknown names and bad values return false and leave the options alone', () => {
    const o = fresh();
    expect(setSysctl(o, 'net.ipv4.tcp_no_such_thing', '1')).toBe(false);
    expect(setSysctl(o, 'constructor', '1')).toBe(false);
    expect(setSysctl(o, 'net.ipv4.tcp_sack', 'yes')).toBe(false);
    expect(setSysctl(o, 'net.ipv4.tcp_syncookies', '3')).toBe(false);
    expect(setSysctl(o, 'net.ipv4.tcp_rmem', '4096 87380')).toBe(false);
    expect(o).toEqual(fresh());
    expect(getSysctl(o, 'tcp_nope')).toBeUndefined();
    expect(isSysctl('net.ipv4.tcp_dsack')).toBe(true);
  });

  it('every entry reads back what it was set to', () => {
    for (const name of Object.keys(SYSCTLS)) {
      const o = fresh();
      const v = getSysctl(o, name) as string;
      expect(setSysctl(o, name, v), name).toBe(true);
      expect(getSysctl(o, name), name).toBe(v);
    }
  });

  it('Sysctl binds the table to one live options object', () => {
    const o = fresh();
    const s = new Sysctl(o);
    expect(s.set('net.ipv4.tcp_timestamps', 0)).toBe(true);
    expect(o.timestamps).toBe(false);
    expect(s.list()).toContain('net.ipv4.tcp_timestamps = 0');
  });
});
