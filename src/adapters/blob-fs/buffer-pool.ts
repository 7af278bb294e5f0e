// Fixed-size buffers reused by blob downloads. Reading a large blob into fresh 1 MiB buffers costs
// page faults (and, when the page cache fills memory, reclaim) for every buffer, and garbage for
// V8 to collect; a few buffers reused in turn cost neither.

export class BufferPool {
  private readonly free: Buffer[] = [];

  /**
   * @param size bytes per buffer
   * @param keep buffers kept for reuse at most; more may be in use at once, and the extra ones are
   *   dropped on release, so the pool's idle memory stays under size * keep
   */
  constructor(readonly size: number, private readonly keep: number) {}

  acquire(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** Gives a buffer back. Call it only once nothing (a pending write) can still read the buffer. */
  release(buf: Buffer): void {
    if (buf.length === this.size && this.free.length < this.keep) this.free.push(buf);
  }
}
