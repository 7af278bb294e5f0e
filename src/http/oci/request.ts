// Small request helpers shared by the OCI handlers: query strings, pagination, bodies, ranges.
import type { IncomingMessage } from 'node:http';
import { errors } from '../../domain/errors.ts';

export function queryOf(rawUrl: string): URLSearchParams {
  const i = rawUrl.indexOf('?');
  return new URLSearchParams(i < 0 ? '' : rawUrl.slice(i + 1));
}

/** Largest page a client may ask for. */
export const MAX_PAGE = 10_000;
/** Without `n`, every entry is returned in one answer, as Distribution does. */
export const UNPAGED = 1_000_000_000;

export interface Page {
  n?: number;
  last?: string;
}

/** Parses `n` and `last` (distribution-spec pagination); a malformed `n` is a 400. */
export function pageOf(q: URLSearchParams): Page {
  const nRaw = q.get('n');
  let n: number | undefined;
  if (nRaw !== null) {
    if (!/^[0-9]+$/.test(nRaw)) throw errors.paginationInvalid({ reason: `n must be a non-negative integer, got '${nRaw}'` });
    n = Math.min(Number(nRaw), MAX_PAGE);
  }
  return { n, last: q.get('last') ?? undefined };
}

/** True when the request carries a body (Content-Length > 0 or chunked transfer encoding). */
export function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  if (len !== undefined) return Number(len) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

export function contentLength(req: IncomingMessage): number | undefined {
  const len = req.headers['content-length'];
  if (len === undefined) return undefined;
  const n = Number(len);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** Reads a whole (small) body, failing with `tooLarge()` as soon as it exceeds `max` bytes. */
export async function readSmallBody(req: IncomingMessage, max: number, tooLarge: () => Error): Promise<Buffer> {
  const declared = contentLength(req);
  if (declared !== undefined && declared > max) {
    req.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) {
      req.resume();
      throw tooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}

/**
 * Parses an upload chunk's Content-Range (`<start>-<end>`, also `bytes <start>-<end>/<total>`),
 * returning the start offset and the declared length.
 */
export function parseContentRange(header: string): { start: number; end: number } | undefined {
  const m = header.trim().match(/^(?:bytes[ =])?([0-9]+)-([0-9]+)(?:\/(?:[0-9]+|\*))?$/);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  return end >= start ? { start, end } : undefined;
}

/** A parsed `Range: bytes=` request for a blob of `size` bytes: a range, 'all', or 'unsatisfiable'. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'all' | 'unsatisfiable' {
  if (!header) return 'all';
  const m = header.trim().match(/^bytes=([0-9]*)-([0-9]*)$/);
  if (!m || (m[1] === '' && m[2] === '')) return 'all'; // multi-range or malformed: ignored (RFC 9110 allows)
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || (m[2] !== '' && Number(m[2]) < start)) return 'unsatisfiable';
  return { start, end };
}
