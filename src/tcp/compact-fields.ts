/**
 * Numeric fields of a Connection kept so that an idle connection holds no
 * heap numbers (bench/scale.ts measures the bytes). V8 keeps a field that has
 * ever held a double (Infinity, a time with a fraction, a sequence number
 * above 2^31 - 1) as a 16-byte heap number per object, for every connection.
 * Sequence numbers are stored as int32 and read back as uint32; a deadline
 * that is off is stored as null and read back as Infinity (-Infinity for
 * "never"), so an idle connection's fields are all immediates. Readers and
 * writers see plain numbers, exactly as before.
 */
export abstract class CompactFields {
  private _sndSml = 0;
  private _pushedSeq = 0;
  private _inSeq = 0;
  private _inAck = 0;
  private _rtxAt: number | null = null;
  private _delackAt: number | null = null;
  private _kaAt: number | null = null;
  private _armedAt: number | null = null;
  private _rtoAt: number | null = null;
  private _reoAt: number | null = null;
  private _lastOowAckAt: number | null = null;
  /** End of the last runt (sub-MSS segment) sent, for Nagle/Minshall; starts at ISS (a sequence number, not 0). */
  get sndSml(): number {
    return this._sndSml >>> 0;
  }
  set sndSml(v: number) {
    this._sndSml = v | 0;
  }
  /** End of the last segment sent with PSH (Linux pushed_seq, output.ts wantsPush). */
  get pushedSeq(): number {
    return this._pushedSeq >>> 0;
  }
  set pushedSeq(v: number) {
    this._pushedSeq = v | 0;
  }
  get inSeq(): number {
    return this._inSeq >>> 0;
  }
  set inSeq(v: number) {
    this._inSeq = v | 0;
  }
  get inAck(): number {
    return this._inAck >>> 0;
  }
  set inAck(v: number) {
    this._inAck = v | 0;
  }
  get rtxAt(): number {
    return this._rtxAt ?? Infinity;
  }
  set rtxAt(v: number) {
    this._rtxAt = v === Infinity ? null : v;
  }
  get delackAt(): number {
    return this._delackAt ?? Infinity;
  }
  set delackAt(v: number) {
    this._delackAt = v === Infinity ? null : v;
  }
  get kaAt(): number {
    return this._kaAt ?? Infinity;
  }
  set kaAt(v: number) {
    this._kaAt = v === Infinity ? null : v;
  }
  protected get armedAt(): number {
    return this._armedAt ?? Infinity;
  }
  protected set armedAt(v: number) {
    this._armedAt = v === Infinity ? null : v;
  }
  get rtoAt(): number {
    return this._rtoAt ?? Infinity;
  }
  set rtoAt(v: number) {
    this._rtoAt = v === Infinity ? null : v;
  }
  get reoAt(): number {
    return this._reoAt ?? Infinity;
  }
  set reoAt(v: number) {
    this._reoAt = v === Infinity ? null : v;
  }
  /** When we last answered an invalid segment (Linux last_oow_ack_time; output.ts oowRateLimited); -Infinity if never. */
  get lastOowAckAt(): number {
    return this._lastOowAckAt ?? -Infinity;
  }
  set lastOowAckAt(v: number) {
    this._lastOowAckAt = v === -Infinity ? null : v;
  }
}
