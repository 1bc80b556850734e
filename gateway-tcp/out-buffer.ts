/**
 * Outgoing bytes of one connection, batched per event-loop turn.
 *
 * Frames are encoded straight into a slab (a large Buffer); `take()` hands
 * the bytes written since the last take to the socket as one subarray. The
 * socket keeps a reference to that subarray until it is written, so the slab
 * region is never reused: writing continues after it, and a new slab is
 * allocated only when the current one is full. Net effect: one socket write
 * per turn and roughly one allocation per slab, not per frame.
 */
export class OutBuffer {
  private slab: Buffer;
  /** Start of the bytes not yet taken. */
  private start = 0;
  /** Write position: encoders write at `pos` into `buf`. */
  pos = 0;
  /** Earlier slabs' untaken bytes (when a turn overflows a slab). */
  private full: Buffer[] = [];
  private fullBytes = 0;

  /** A DataView over the current slab (what reserve() returned): 64-bit fields in two stores, not eight. */
  dv: DataView;

  constructor(private readonly slabSize = 256 * 1024) {
    this.slab = Buffer.allocUnsafe(slabSize);
    this.dv = new DataView(this.slab.buffer, this.slab.byteOffset, this.slab.byteLength);
  }

  /** The buffer to encode into at `pos`, with at least n bytes of room. */
  reserve(n: number): Buffer {
    if (this.slab.length - this.pos < n) {
      if (this.pos > this.start) {
        this.full.push(this.slab.subarray(this.start, this.pos));
        this.fullBytes += this.pos - this.start;
      }
      this.slab = Buffer.allocUnsafe(Math.max(this.slabSize, n));
      this.dv = new DataView(this.slab.buffer, this.slab.byteOffset, this.slab.byteLength);
      this.start = 0;
      this.pos = 0;
    }
    return this.slab;
  }

  /** Bytes written and not yet taken. */
  get length(): number {
    return this.fullBytes + this.pos - this.start;
  }

  /** Everything written since the last take, as one Buffer (or null when empty). */
  take(): Buffer | null {
    const tail = this.pos > this.start ? this.slab.subarray(this.start, this.pos) : null;
    this.start = this.pos;
    if (this.full.length === 0) return tail;
    if (tail) this.full.push(tail);
    const out = this.full.length === 1 ? this.full[0]! : Buffer.concat(this.full, this.fullBytes + (tail?.length ?? 0));
    this.full = [];
    this.fullBytes = 0;
    return out;
  }

  /**
   * take() without joining: when a turn filled more than one slab, its pieces go to
   * `write` one by one (the caller corks the socket: one writev, no copy of the bytes).
   * Returns how many pieces were written.
   */
  takeParts(write: (b: Buffer) => void): number {
    const tail = this.pos > this.start ? this.slab.subarray(this.start, this.pos) : null;
    this.start = this.pos;
    const full = this.full;
    let n = 0;
    if (full.length !== 0) {
      for (let i = 0; i < full.length; i++) write(full[i]!);
      n = full.length;
      this.full = [];
      this.fullBytes = 0;
    }
    if (tail) {
      write(tail);
      n++;
    }
    return n;
  }

  /** Slabs' worth of bytes not yet taken (more than 1: takeParts writes several pieces). */
  get pieces(): number {
    return this.full.length + (this.pos > this.start ? 1 : 0);
  }

  /** Drops everything not yet taken (connection closing). */
  clear(): void {
    this.start = this.pos;
    this.full = [];
    this.fullBytes = 0;
  }
}
