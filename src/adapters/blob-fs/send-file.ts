// Sends a byte range of an open file into a writable (a socket or an HTTP response) through a few
// reused buffers: the fast path behind BlobReadable.writeTo.
import type { FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { BufferPool } from './buffer-pool.ts';

/** Bytes per read and per write: large writes keep syscalls few and the receiver's reads full. */
const SEND_CHUNK = 1024 * 1024;
/** Writes not yet reported written, per download: bounds a download's memory at 4 MiB. */
const WRITES_IN_FLIGHT = 4;
/** Idle buffers kept between downloads (16 MiB). */
const pool = new BufferPool(SEND_CHUNK, 16);

/**
 * Writes bytes [start, end) of `fh` (to end of file when `end` is Infinity) into `sink`, without
 * ending it. A buffer goes back to the pool only after its write callback reported success, so no
 * byte is overwritten while the sink may still read it; after a failed write the buffer is dropped.
 * Rejects when a write fails or `sink` closes before the last callback.
 */
export async function sendFileRange(fh: FileHandle, start: number, end: number, sink: Writable): Promise<void> {
  let inFlight = 0;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onClose = () => {
    failure ??= new Error('the receiver closed the connection before the blob was sent');
    signal();
  };
  sink.once('close', onClose);
  // Kept after we return: a failed write's 'error' event may come a tick after its callback, and
  // the caller's reaction to the rejection (destroying the sink) makes any later one moot.
  sink.on('error', (e) => {
    failure ??= e;
    signal();
  });
  try {
    for (let pos = start; pos < end;) {
      while (inFlight >= WRITES_IN_FLIGHT && !failure) await new Promise<void>((r) => (wake = r));
      if (failure) throw failure;
      const buf = pool.acquire();
      let n: number;
      try {
        n = (await fh.read(buf, 0, Math.min(buf.length, end - pos), pos)).bytesRead;
      } catch (e) {
        pool.release(buf);
        throw e;
      }
      if (n === 0) {
        pool.release(buf);
        if (end === Infinity) break;
        throw new Error(`file ended at byte ${pos}, before ${end}`);
      }
      pos += n;
      inFlight++;
      sink.write(n === buf.length ? buf : buf.subarray(0, n), (err) => {
        inFlight--;
        if (err) failure ??= err;
        else pool.release(buf);
        signal();
      });
    }
    while (inFlight > 0 && !failure) await new Promise<void>((r) => (wake = r));
    if (failure) throw failure;
  } finally {
    sink.off('close', onClose);
  }
}
