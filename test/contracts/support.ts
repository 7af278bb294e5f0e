// Helpers shared by the port contract suites: digests, byte sources, stream collection, error checks.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

export function sha256(b: Uint8Array | string): string {
  return 'sha256:' + createHash('sha256').update(b).digest('hex');
}
export function sha512(b: Uint8Array | string): string {
  return 'sha512:' + createHash('sha512').update(b).digest('hex');
}
export function bytes(n: number): Buffer {
  return randomBytes(n);
}
/** A well-formed sha256 digest of nothing stored. */
export function absent(): string {
  return sha256(randomBytes(16));
}

/** A stream of `buf` in chunks of `chunk` bytes (one chunk by default). */
export function source(buf: Buffer, chunk = buf.length || 1): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) parts.push(buf.subarray(i, i + chunk));
  return Readable.from(parts);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A stream that yields `buf` in `parts` pieces with a pause before each (for concurrency tests). */
export function slowSource(buf: Buffer, parts = 8, pauseMs = 3): Readable {
  const size = Math.ceil(buf.length / parts);
  return Readable.from((async function* () {
    for (let i = 0; i < buf.length; i += size) {
      await sleep(pauseMs);
      yield buf.subarray(i, i + size);
    }
  })());
}

/** A stream that yields `buf` and then fails, as a dropped client connection does. */
export function failingSource(buf: Buffer): Readable {
  return Readable.from((async function* () {
    yield buf;
    await sleep(5);
    throw new Error('client went away');
  })());
}

export async function collect(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

/** An assert.rejects matcher for a WharfError carrying OCI code `code` (and optionally `status`). */
export function wharfError(code: string, status?: number): (e: unknown) => boolean {
  return (e: unknown) => {
    const err = e as { spec?: { oci?: string }; status?: number; message?: string };
    assert.equal(err?.spec?.oci, code, `expected a WharfError with OCI code ${code}, got ${String(e)}`);
    if (status !== undefined) assert.equal(err.status, status, `expected status ${status} for ${err.message}`);
    return true;
  };
}

/** Byte-order comparison (the OCI spec's lexical order for names and tags). */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Shuffles a copy of `xs` (so insertion order never matches the expected order). */
export function shuffled<T>(xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
