// How much of an ECR request body Wharf will hold in memory: at most 4 KiB until the signer's access
// key is known, then per operation what its largest legitimate input needs (only UploadLayerPart is big).
// The Query protocol (../aws/query.ts) reads and refuses bodies with the same helpers.
import type { FastifyReply } from 'fastify';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { ServiceModel } from '../../domain/aws/validate.ts';
import { contentLength } from '../oci/request.ts';

/** Room for everything small an operation sends: names, ids, digests, lists, JSON syntax. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;
/** The most read of a request refused before authentication (a smaller body is read whole, so its connection stays open). */
export const PREAUTH_READ_LIMIT = 4 * 1024;
/** String members longer than this count towards the limit (policies, lifecycle texts, manifests). */
const LARGE_MEMBER = 1024;
/** A JSON string may escape any character as \uXXXX: six bytes for one character of the model's length. */
const ESCAPED_CHAR = 6;

type Shapes = ServiceModel['shapes'];

/** Worst-case wire bytes of the large members of `shape`, walking nested structures (not lists). */
function largeMembers(shapes: Shapes, shape: string, seen: Set<string>): number {
  const s = shapes[shape] as { type?: string; max?: number; members?: Record<string, { shape: string }> } | undefined;
  if (!s || seen.has(shape)) return 0;
  if (s.type === 'string' && (s.max ?? 0) > LARGE_MEMBER) return ESCAPED_CHAR * s.max!;
  // Blobs travel base64 (4 bytes per 3), and a JSON encoder may write '/' as '\/' (1 in 64 characters, so 1/32 more is ample).
  if (s.type === 'blob' && (s.max ?? 0) > LARGE_MEMBER) return Math.ceil((Math.ceil(s.max! / 3) * 4 * 33) / 32);
  if (s.type !== 'structure' || !s.members) return 0;
  seen.add(shape);
  let n = 0;
  for (const m of Object.values(s.members)) n += largeMembers(shapes, m.shape, seen);
  seen.delete(shape);
  return n;
}

/**
 * The largest body `operation` accepts: DEFAULT_BODY_LIMIT plus, for each long string or blob member
 * of its input (also inside nested structures), its model maximum as it may be encoded on the wire.
 * UploadLayerPart: about 27.6 MiB; PutImage: 24 MiB + 64 KiB; PutLifecyclePolicy: 180 KiB + 64 KiB;
 * an unknown operation or one without large members: 64 KiB.
 */
export function bodyLimit(model: ServiceModel, operation: string | undefined): number {
  const input = operation !== undefined && Object.hasOwn(model.operations, operation) ? model.operations[operation].input?.shape : undefined;
  if (input === undefined) return DEFAULT_BODY_LIMIT;
  const key = `${model.metadata.targetPrefix}.${operation}`;
  let n = limits.get(key);
  if (n === undefined) limits.set(key, (n = DEFAULT_BODY_LIMIT + largeMembers(model.shapes, input, new Set())));
  return n;
}

/** bodyLimit's answers by model and operation (the model never changes while running). */
const limits = new Map<string, number>();

/**
 * A larger cap for some bodies: once more than `max` bytes have arrived, `allow` sees them and may
 * let the read go on up to `upTo` (the unsigned STS AssumeRoleWithWebIdentity, told by its first bytes).
 */
export interface BodyExtension {
  readonly upTo: number;
  readonly allow: (head: Buffer) => boolean;
}

/**
 * Reads the whole body if it is at most `max` bytes (or, with `more`, `more.upTo` when `more.allow`
 * accepts the first bytes over `max`); otherwise reads no further and answers 'too-large' (a
 * declared Content-Length over the largest cap is refused before reading anything). The rest of an
 * over-large body is left unread: the caller closes the connection instead of draining it.
 */
export function readBodyUpTo(req: IncomingMessage, max: number, more?: BodyExtension): Promise<Buffer | 'too-large'> {
  const declared = contentLength(req);
  if (declared !== undefined && declared > (more ? Math.max(max, more.upTo) : max)) return Promise.resolve('too-large');
  let limit = max;
  // Plain listeners, not `for await`: leaving that loop early would destroy the socket before the
  // refusal could be written.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData).off('end', onEnd).off('error', reject).off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit && more && limit === max && size <= more.upTo && more.allow(Buffer.concat([...chunks, chunk]))) limit = more.upTo;
      if (size > limit) {
        req.pause();
        stop();
        resolve('too-large');
      } else chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onClose = () => {
      stop();
      reject(new Error('the client closed the connection before the request body ended'));
    };
    req.on('data', onData).on('end', onEnd).on('error', reject).on('close', onClose);
  });
}

/** How long a refused connection stays open (not read) so the client can read the answer before it closes. */
const LINGER_MS = 2000;

/**
 * Answers a request whose body is still (partly) unread, then closes the connection without reading
 * the rest: the answer is written straight to the socket followed by FIN, the socket is no longer
 * read (the client's writes stall on TCP backpressure), and it is destroyed once the client hangs up
 * or after LINGER_MS. Closing at once would make the kernel answer the client's pending bytes with
 * a reset, which can discard the answer before the client reads it; draining instead would read
 * the whole body. Takes the reply over from fastify (hijack).
 */
export function answerAndClose(reply: FastifyReply, status: number, headers: Record<string, string>, body: Buffer): void {
  reply.hijack();
  const socket = reply.raw.socket;
  if (!socket || socket.destroyed) return;
  const all: Record<string, string | number | string[]> = {};
  for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) all[k] = v;
  Object.assign(all, headers, { 'content-length': String(body.length), connection: 'close', date: new Date().toUTCString() });
  const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`];
  for (const [k, v] of Object.entries(all)) for (const one of Array.isArray(v) ? v : [v]) head.push(`${k}: ${one}`);
  socket.pause();
  socket.end(Buffer.concat([Buffer.from(head.join('\r\n') + '\r\n\r\n', 'latin1'), body]));
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  socket.once('close', () => clearTimeout(timer));
}
