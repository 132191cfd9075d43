/**
 * `tunstack` command-line misuse: every wrong invocation exits non-zero with
 * one line on stderr that says what is wrong and how to fix it, and nothing
 * is opened (no device, no namespace) before the arguments are validated.
 *
 * These tests run the BUILT command, dist/src/cli.js: build first
 * (`npx tsc -p .`; `npm test` does it before vitest).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, linuxReady } from '../linux/harness.js';
import { readableCliCopy, type ReadableCopy } from './readable-copy.js';

const ready = linuxReady();
const CLI = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function tunstack(args: string[], prefix: string[] = [], cli = CLI): Run {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run 'npx tsc -p .' before these tests`);
  const argv = [...prefix, process.execPath, cli, ...args];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 15_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A misuse: status 2, exactly one 'tunstack: ...' line on stderr, nothing on stdout. */
function expectMisuse(args: string[], message: RegExp): void {
  const r = tunstack(args);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^tunstack: [^\n]+\n$/);
  expect(r.stderr).toMatch(message);
  expect(r.code).toBe(2);
}

describe('tunstack help', () => {
  it('prints usage with the up options and exits 0', () => {
    const r = tunstack(['help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage:/);
    for (const opt of ['--tun', '--tap', '--netns', '--host-addr', '--addr', '--mtu', '--services', '--pcap', '--offload']) {
      expect(r.stdout).toContain(opt);
    }
  });

  it('without a command prints usage but exits 2 (nothing was done)', () => {
    const r = tunstack([]);
    expect(r.stdout).toMatch(/^usage:/);
    expect(r.code).toBe(2);
  });

  it('an unknown command points at help', () => {
    expectMisuse(['frobnicate'], /unknown command 'frobnicate' \(try 'tunstack help'\)/);
  });
});

describe('tunstack up: argument misuse is refused before anything is opened', () => {
  it('an unknown flag names the flag and points at help', () => {
    expectMisuse(['up', '--adress', '10.77.0.2'], /Unknown option '--adress'.*see 'tunstack up --help'/);
  });

  it('a flag without its value says the value is missing and points at help', () => {
    expectMisuse(['up', '--addr'], /'--addr <value>' argument missing.*see 'tunstack up --help'/);
  });

  it('a bad --addr shows the expected form and the bad value', () => {
    expectMisuse(['up', '--addr', '10.77.0'], /--addr must be an IPv4 address such as 10\.77\.0\.2 \(got '10\.77\.0'\)/);
    expectMisuse(['up', '--addr', '10.77.0.256'], /--addr must be an IPv4 address .*got '10\.77\.0\.256'/);
  });

  it('a bad --host-addr (no prefix, prefix too long, not an address) shows the CIDR form', () => {
    for (const bad of ['10.77.0.1', '10.77.0.1/31', '10.77.0.1/33', 'tun0/24']) {
      expectMisuse(['up', '--host-addr', bad], new RegExp(`--host-addr must be an IPv4 CIDR .*such as 10\\.77\\.0\\.1/24 \\(got '${bad.replace(/\./g, '\\.')}'\\)`));
    }
  });

  it('a bad --mtu gives the accepted range (576 is the RFC 791 minimum every host must accept)', () => {
    for (const bad of ['abc', '1500.5', '575', '65536', '']) {
      expectMisuse(['up', '--mtu', bad], new RegExp(`--mtu must be an integer from 576 to 65535 \\(got '${bad.replace(/\./g, '\\.')}'\\)`));
    }
  });

  it("a bad --offload says it takes 'on' or 'off'", () => {
    expectMisuse(['up', '--offload', 'yes'], /--offload must be 'on' or 'off' \(got 'yes'\)/);
  });

  it('--tun and --tap together: pick one', () => {
    expectMisuse(['up', '--tun', 'tun0', '--tap', 'tap0'], /--tun and --tap are exclusive: pick one device type/);
  });

  it('the stack address equal to the host address is refused', () => {
    expectMisuse(['up', '--host-addr', '10.77.0.1/24', '--addr', '10.77.0.1'], /--addr must differ from the --host-addr address/);
  });

  it('a stack address outside the host prefix is refused: the kernel would have no route', () => {
    expectMisuse(
      ['up', '--host-addr', '10.77.0.1/24', '--addr', '10.77.1.2'],
      /--addr 10\.77\.1\.2 is not inside --host-addr 10\.77\.0\.1\/24: the kernel would have no route to it/,
    );
  });

  it('the network or broadcast address of the prefix is not a host address (RFC 1122 §3.2.1.3)', () => {
    for (const a of ['10.77.0.0', '10.77.0.255']) {
      expectMisuse(['up', '--host-addr', '10.77.0.1/24', '--addr', a], /is the network or broadcast address of 10\.77\.0\.1\/24: pick a host address/);
    }
  });

  it('an unknown service lists the known ones', () => {
    expectMisuse(['up', '--services', 'echo,gopher'], /unknown service 'gopher' \(known: echo, discard, chargen, http, https, dns, udp-echo; or none, or list\)/);
  });

  it('an unknown log level lists the levels', () => {
    expectMisuse(['up', '--log-level', 'loud'], /--log-level must be one of fatal, error, warn, info, debug, trace, silent/);
  });

  it('a device name Linux would refuse (IFNAMSIZ 15, no slash) is refused with the rule', () => {
    expectMisuse(['up', '--tun', 'tun-name-too-long0'], /--tun 'tun-name-too-long0' is not a valid interface name: 1 to 15 characters.*\(e\.g\. tun0\)/);
    expectMisuse(['up', '--tap', 'a/b'], /--tap 'a\/b' is not a valid interface name/);
  });

  it('--http-root that is not a directory is refused', () => {
    expectMisuse(['up', '--http-root', '/nonexistent/tsfd-www'], /--http-root \/nonexistent\/tsfd-www is not a directory: give an existing directory to serve/);
  });

  it('an invalid namespace name is refused before ip netns is called', () => {
    expectMisuse(['up', '--netns', 'tsfd/../x'], /--netns 'tsfd\/\.\.\/x' is not a valid namespace name/);
  });
});

describe('tunstack stat', () => {
  it('with no running stack says which control socket it looked for, and exits non-zero', () => {
    const r = tunstack(['stat', '--tun', 'tun9', '--netns', 'tsfd-none']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no running 'tunstack up' for device tun9 in netns tsfd-none \(looked for \/run\/tunstack\/tsfd-none-tun9\.sock\)/);
  });

  it('an unknown flag is refused', () => {
    expectMisuse(['stat', '--device', 'tun0'], /Unknown option '--device'/);
  });
});

describe.skipIf(!ready)('tunstack up failing after the namespace exists (linux)', () => {
  it('regression: an unwritable --pcap path printed a bare ENOENT and then hung with the TUN open', async () => {
    const ns = await createNetns('tsfd');
    try {
      const r = tunstack(['up', '--netns', ns.name, '--tun', 'tun0', '--services', 'none', '--pcap', '/nonexistent/tsfd/x.pcap']);
      expect(r.stderr).toMatch(/^tunstack: --pcap \/nonexistent\/tsfd\/x\.pcap: cannot open for writing \(ENOENT\): give a path in an existing, writable directory\n$/);
      expect(r.code).toBe(2); // null would mean killed by the 15 s timeout: the hang
      const links = await ns.exec('ip', ['-o', 'link'], { check: true });
      expect(links.stdout.trim().split('\n')).toHaveLength(1); // no tun0 left behind
    } finally {
      ns.destroy();
    }
  });
});

// Not root: the message must name root / the capability. The unprivileged run
// happens inside a namespace this test creates, so even a wrongly successful
// open could not put a device in the root namespace.
const nobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];

describe.skipIf(!ready || !linuxReady('setpriv'))('tunstack up as an unprivileged user (linux)', () => {
  // nobody may not be able to read this checkout (a mode-0700 parent): run a readable copy.
  let copy: ReadableCopy;
  beforeAll(() => {
    copy = readableCliCopy();
  });
  afterAll(() => copy?.remove());
  const asNobody = (args: string[], prefix: string[]): Run => tunstack(args, prefix, copy.cli);

  it('--netns: says namespaces need root (CAP_SYS_ADMIN) and the device CAP_NET_ADMIN', () => {
    const r = asNobody(['up', '--netns', 'tsfdnotroot', '--services', 'none'], nobody);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--netns needs root \(CAP_SYS_ADMIN .*CAP_NET_ADMIN for the device\); run as root/);
    expect(existsSync('/var/run/netns/tsfdnotroot')).toBe(false);
  });

  it('without --netns: opening the TUN or TAP device fails naming root or CAP_NET_ADMIN', async () => {
    const ns = await createNetns('tsfd');
    try {
      // EACCES from open() where /dev/net/tun is 0660, EPERM from TUNSETIFF where it is 0666 (as once qemu is installed).
      for (const dev of [['--tun', 'tun0'], ['--tap', 'tap0']]) {
        const r = asNobody(['up', ...dev, '--services', 'none'], ['ip', 'netns', 'exec', ns.name, ...nobody]);
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(new RegExp(`^tunstack: opening TUN/TAP device '${dev[1]}' needs root or CAP_NET_ADMIN: .*(Permission denied|Operation not permitted)\\n$`));
      }
      const links = await ns.exec('ip', ['-o', 'link'], { check: true });
      expect(links.stdout.trim().split('\n')).toHaveLength(1); // only lo
    } finally {
      ns.destroy();
    }
  });
});

describe('tunstack COMMAND --help, --version, conformance, explain', () => {
  it('every subcommand answers --help (and -h) with its own usage, exit 0, nothing opened', () => {
    for (const [cmd, opt] of [['up', '--tun'], ['stat', '--info'], ['explain', '--svg'], ['conformance', '--profile'], ['chart', '--conn']]) {
      for (const flag of ['--help', '-h']) {
        const r = tunstack([cmd, flag]);
        expect(r.code, `${cmd} ${flag}`).toBe(0);
        expect(r.stdout).toMatch(new RegExp(`^usage: tunstack ${cmd}`));
        expect(r.stdout).toContain(opt);
        expect(r.stderr).toBe('');
      }
    }
  });

  it('--version prints the package version', () => {
    const r = tunstack(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^tunstack \d+\.\d+\.\d+\n$/);
  });

  it('conformance runs the packetdrill-syntax runner on the scripts given', () => {
    const script = fileURLToPath(new URL('../conformance/scripts/handshake/', import.meta.url));
    const r = tunstack(['conformance', script]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^PASS /m);
    expect(r.stdout).toMatch(/^\d+ passed, 0 failed, \d+ skipped\n$/m);
  });

  it('explain prints the annotated ladder of a scenario; --list names them', () => {
    const r = tunstack(['explain', 'handshake']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\[S\] seq 0 win \d+ <mss 1460,sackOK,TS,wscale \d+>/);
    expect(r.stdout).toContain('RFC 9293 §3.10.7.3: SYN-SENT: SYN,ACK acknowledges our SYN → ESTABLISHED');
    const l = tunstack(['explain', '--list']);
    expect(l.stdout.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(14);
    const j = tunstack(['explain', 'time-wait', '--json']);
    const ladder = JSON.parse(j.stdout) as { items: Array<{ kind: string; label?: string }> };
    expect(ladder.items.some((i) => i.kind === 'rule' && i.label === 'RFC 9293 §3.10.8')).toBe(true);
  });

  it('explain misuse names the fix', () => {
    expectMisuse(['explain'], /name a scenario: handshake, .* \(or --list\)/);
    expectMisuse(['explain', 'handshak'], /unknown scenario 'handshak' — did you mean handshake\? \(one of handshake, .*pmtud; 'tunstack explain --list' describes each\)/);
    expectMisuse(['explain', 'frobnicate'], /unknown scenario 'frobnicate' \(one of handshake, /);
    expectMisuse(['explain', '--list', 'handshake'], /--list lists the scenarios: give it alone/);
    // A misused flag points at the subcommand's own --help, where its options are.
    expectMisuse(['explain', 'handshake', '--sed', '3'], /Unknown option '--sed'.*see 'tunstack explain --help'/);
    expectMisuse(['chart', '--out', 'x.svg'], /Unknown option '--out'.*see 'tunstack chart --help'/);
    expectMisuse(['explain', 'handshake', '--loss', '1.5'], /--loss must be a probability from 0 to below 1, such as 0\.1 \(got '1\.5'\)/);
    expectMisuse(['explain', 'handshake', '--seed', 'x'], /--seed must be a non-negative integer \(got 'x'\)/);
    expectMisuse(['explain', '--trace', '/nonexistent/t.jsonl'], /cannot read --trace \/nonexistent\/t\.jsonl/);
  });

  it('explain --list names every scenario with its one-line title', () => {
    const l = tunstack(['explain', '--list']);
    expect(l.code).toBe(0);
    const names = l.stdout.split('\n').filter(Boolean).map((line) => line.split(/\s+/)[0]);
    expect(names).toContain('pmtud');
    expect(names).toContain('handshake');
    expect(l.stdout).toMatch(/^pmtud\s+path MTU discovery: /m);
  });

  it('conformance misuse: a bad --seed or option is refused with the usage, exit 2', () => {
    for (const args of [['--seed', 'x'], ['--frob']]) {
      const r = tunstack(['conformance', ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^(--seed needs a non-negative integer \(got 'x'\)|unknown option --frob)\nusage: conformance /);
    }
  });

  it('stat -i with -s, and up --dashboard with a bad value, are refused', () => {
    expectMisuse(['stat', '-i', '-s'], /-i and -s are exclusive/);
    expectMisuse(['up', '--dashboard', 'maybe'], /--dashboard takes 'on' or 'off' \(got 'maybe'\)/);
  });
});
