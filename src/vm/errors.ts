/** A launcher failure with a message that names the fix; `status` is the process exit status. */
export class VmError extends Error {
  constructor(
    message: string,
    readonly status: number = 2,
  ) {
    super(message);
    this.name = 'VmError';
  }
}
