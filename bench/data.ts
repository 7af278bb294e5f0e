// Deterministic, incompressible blob data generated as a stream (never a whole large blob in memory), with its digest.
import { createHash, randomBytes } from 'node:crypto';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/**
 * A blob of `size` bytes made of 1 MiB pieces: one seeded pseudo-random 1 MiB buffer, repeated, with the piece
 * number and seed stamped every 4 KiB so that no two 4 KiB blocks are equal (no dedup) and nothing compresses.
 * Piece k can be produced on its own, so uploads can start at any 1 MiB boundary (chunked PATCHes). Making a
 * piece is a memcpy plus 256 small writes: several GB/s, so the client is not what limits the throughput figures.
 */
export class BlobSource {
  private readonly base: Buffer;
  private digestCache: string | undefined;

  constructor(readonly seed: number, readonly size: number) {
    const words = new Uint32Array(MiB / 4);
    let x = (seed * 2654435761) >>> 0 || 1;
    for (let i = 0; i < words.length; i++) {
      // xorshift32
      x ^= x << 13; x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5; x >>>= 0;
      words[i] = x;
    }
    this.base = Buffer.from(words.buffer);
  }

  get pieces(): number {
    return Math.ceil(this.size / MiB);
  }

  /** Piece k (1 MiB, the last one possibly shorter), freshly allocated so it can be handed to a socket. */
  piece(k: number): Buffer {
    const len = Math.min(MiB, this.size - k * MiB);
    const out = Buffer.allocUnsafe(len);
    this.base.copy(out, 0, 0, len);
    for (let off = 0; off + 8 <= len; off += 4096) {
      out.writeUInt32LE(k, off);
      out.writeUInt32LE(this.seed, off + 4);
    }
    return out;
  }

  /** Bytes [start, end) as a stream of pieces; start and end must be multiples of 1 MiB (end may be size). */
  range(start: number, end: number): () => AsyncIterable<Buffer> {
    if (start % MiB !== 0 || (end % MiB !== 0 && end !== this.size)) throw new Error('range must be 1 MiB aligned');
    const self = this;
    return async function* () {
      for (let k = start / MiB; k * MiB < end; k++) yield self.piece(k);
    };
  }

  stream(): () => AsyncIterable<Buffer> {
    return this.range(0, this.size);
  }

  /** sha256 digest of the whole blob, computed once by generating it (cached for the rest of the run). */
  digest(): string {
    if (!this.digestCache) {
      const h = createHash('sha256');
      for (let k = 0; k < this.pieces; k++) h.update(this.piece(k));
      this.digestCache = `sha256:${h.digest('hex')}`;
    }
    return this.digestCache;
  }
}

export interface SmallBlob {
  data: Buffer;
  digest: string;
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** n random blobs of `size` bytes each, with their digests. */
export function smallBlobs(n: number, size: number): SmallBlob[] {
  return Array.from({ length: n }, () => {
    const data = randomBytes(size);
    return { data, digest: sha256(data) };
  });
}
