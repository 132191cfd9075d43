/**
 * The QEMU command line for one VM run, built as data so tests can check it
 * without booting: no network to the outside (`-nic none`), the host's `/`
 * read-only over 9p, the job share, a serial console into a log file, and
 * three virtio-serial ports (out, err, ctl) connected to Unix sockets the
 * launcher listens on.
 */
import { HOST_ROOT_TAG, JOB_TAG } from './guest-scripts.js';

export type Accel = 'kvm' | 'tcg';

export interface Share {
  tag: string;
  hostPath: string;
  readonly: boolean;
}

export interface QemuSpec {
  accel: Accel;
  cpus: number;
  memoryMiB: number;
  kernel: string;
  initramfs: string;
  jobDir: string;
  consoleLog: string;
  /** Unix socket paths for the guest's stdout, stderr and control ports. */
  sockets: { out: string; err: string; ctl: string };
}

export function shares(jobDir: string): Share[] {
  return [
    { tag: HOST_ROOT_TAG, hostPath: '/', readonly: true },
    { tag: JOB_TAG, hostPath: jobDir, readonly: true },
  ];
}

/** Kernel command line: serial console, reboot (= QEMU exit) on panic, quiet unless asked. */
export function kernelCmdline(): string {
  return 'console=ttyS0 panic=-1 loglevel=4 rdinit=/init tsc=reliable no_timer_check';
}

export function qemuArgs(s: QemuSpec): string[] {
  const args: string[] = ['-nodefaults', '-no-user-config', '-no-reboot', '-display', 'none', '-monitor', 'none'];
  if (s.accel === 'kvm') args.push('-accel', 'kvm', '-cpu', 'host');
  // TCG: one host thread per vCPU; `max` gives the guest every feature TCG emulates (Node needs SSE4.2).
  else args.push('-accel', 'tcg,thread=multi', '-cpu', 'max');
  args.push('-smp', String(s.cpus), '-m', `${s.memoryMiB}M`);
  args.push('-kernel', s.kernel, '-initrd', s.initramfs, '-append', kernelCmdline());
  args.push('-nic', 'none');
  args.push('-serial', `file:${s.consoleLog}`);
  for (const [i, sh] of shares(s.jobDir).entries()) {
    const ro = sh.readonly ? ',readonly=on' : '';
    args.push('-fsdev', `local,id=fs${i},path=${sh.hostPath},security_model=none${ro},multidevs=remap`);
    args.push('-device', `virtio-9p-pci,fsdev=fs${i},mount_tag=${sh.tag}`);
  }
  args.push('-device', 'virtio-serial-pci');
  for (const name of ['out', 'err', 'ctl'] as const) {
    args.push('-chardev', `socket,id=${name},path=${s.sockets[name]}`);
    args.push('-device', `virtserialport,chardev=${name},name=${name}`);
  }
  return args;
}
