// Access log, request ids, request metrics and the unauthenticated /healthz, /readyz and /metrics
// routes, installed on the HTTP server as one feature. Per request, on the request path, only
// bookkeeping: one small record made in the onRequest hook, one 'close' listener on the response
// (which fires for answered and aborted requests alike) that fills in status, bytes and end time
// and queues the record. The queue is turned into access lines and metric counts in batches (every
// FLUSH_MS, at QUEUE_MAX records, before a /metrics scrape and when the server closes): building a
// line per request inside the request path measured several times its cost in a tight loop, and a
// batch runs with warm caches. No child logger, no pino serialisation or redaction on this path.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import type { ServerResponse } from 'node:http';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { Metrics } from '../../ports/metrics.ts';
import { MANY_LINES } from './logger.ts';
import { redactUrl } from './redact.ts';
import { ecrOperation, ociRouteKind } from './route-kind.ts';

export { clientGone } from './client-abort.ts';
export { redactUrl } from './redact.ts';

export interface ObservabilityOptions {
  readonly log: Logger;
  /** One info line per request. */
  readonly accessLog: boolean;
  /** Request metrics and /metrics; undefined: metrics off (no /metrics route). */
  readonly metrics?: Metrics;
  /** Readiness: undefined when ready, else the reason it is not (answered with 503). */
  readonly ready: () => Promise<string | undefined>;
}

/** What the access log and metrics need of one request: set when it starts, completed when it ends. */
class Observation {
  /** ARN of the authenticated principal; null while anonymous, or for presigned URLs. */
  principal: string | null = null;
  /** Filled in when the response closes. */
  status = 0;
  finished = false;
  end = 0;
  bytesIn = 0;
  bytesOut = 0;
  /** The operation of a request that names it in its body (IAM and STS Query requests), once known. */
  noted: string | undefined = undefined;
  constructor(
    readonly method: string, readonly url: string, readonly requestId: string,
    /** X-Amz-Target of a POST / (the ECR operation), else undefined */
    readonly target: string | undefined,
    readonly upload: boolean, readonly socket: Socket,
    readonly start: number, readonly read0: number, readonly written0: number,
  ) {}
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the observability hook; null when neither access log nor metrics is on. */
    wharfObservation: Observation | null;
  }
}

/** Stands in for the socket of an in-process injected request (which has none). */
const NO_SOCKET = {} as Socket;

/**
 * The observation of a response in flight, and where on its connection the last request ended
 * (bytes read, bytes written: the next one starts there), as symbol-keyed properties of node's
 * ServerResponse and Socket. Every response and socket gets them, so they all keep one shape;
 * a WeakMap instead measured about twice the cost of the whole bookkeeping (ephemeron tables are
 * slow for the garbage collector to trace).
 */
const OBSERVATION = Symbol('wharf.observation');
const MARKS = Symbol('wharf.marks');
interface Marks { read: number; written: number }
type ObservedResponse = ServerResponse & { [OBSERVATION]?: Observation };
type MarkedSocket = Socket & { [MARKS]?: Marks };

/** Longest a finished request waits in the queue, and the queue length that flushes at once. */
const FLUSH_MS = 10;
const QUEUE_MAX = 512;

/** Records who made the request, for its access-log line (called by the handlers once authenticated). */
export function notePrincipal(req: FastifyRequest, arn: string): void {
  const o = req.wharfObservation;
  if (o) o.principal = arn;
}

/**
 * Records the operation of a request whose operation is known only once its body is read (IAM and
 * STS Query requests name theirs in the body), as its route label and access-log `operation`.
 * `route` must be low-cardinality (route-kind.ts queryRoute).
 */
export function noteOperation(req: FastifyRequest, route: string): void {
  const o = req.wharfObservation;
  if (o) o.noted = route;
}

/** The route label of a request: /v2/ route kind, ECR operation (POST /), health route, or `other`. */
function routeOf(o: Observation): { route: string; operation?: string } {
  if (o.noted !== undefined) return { route: o.noted, operation: o.noted };
  const url = o.url;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (path.startsWith('/v2')) return { route: ociRouteKind(path) };
  if (path === '/' && o.method === 'POST') {
    const target = o.target ?? (q < 0 ? undefined : new URLSearchParams(url.slice(q + 1)).get('X-Amz-Target') ?? undefined);
    const operation = ecrOperation(target);
    return { route: operation, operation };
  }
  if (path === '/healthz' || path === '/readyz' || path === '/metrics') return { route: path.slice(1) };
  return { route: 'other' };
}

/** True for a request that streams blob bytes into an upload (POST/PATCH/PUT under …/blobs/uploads/ with a body). */
function isUpload(method: string, url: string, headers: FastifyRequest['headers']): boolean {
  if (method !== 'PATCH' && method !== 'PUT' && method !== 'POST') return false;
  const len = headers['content-length'];
  if (len === undefined ? headers['transfer-encoding'] === undefined : !(Number(len) > 0)) return false;
  return url.startsWith('/v2/') && ociRouteKind(url.split('?', 1)[0]) === 'upload';
}

/** Printable ASCII other than `"` and `\`: JSON needs no escapes for these. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** `s` as a JSON string; most strings need no escaping, and then no JSON.stringify. */
export function jsonString(s: string): string {
  return PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}

/**
 * Appends the access line of `o` to `out` as pino would write `log.info({ method, path, status,
 * bytesIn, bytesOut, durationMs, principal, requestId, operation?, aborted? }, msg)` (level, time, the
 * logger's bindings, msg last), without pino's per-call work: its redaction (wildcard paths, ~25 µs
 * a line) and generic serialisation. Every part is redacted or ours: the path through redactUrl,
 * strings that come from the client JSON-escaped.
 */
function accessLine(o: Observation, operation: string | undefined, bindings: string, clock: { wall: number; mono: number }): string {
  const time = Math.round(clock.wall - (clock.mono - o.end));
  const durationMs = Math.round((o.end - o.start) * 100) / 100;
  return `{"level":30,"time":${time}${bindings},"method":${jsonString(o.method)},"path":${jsonString(redactUrl(o.url))},"status":${o.status},`
    + `"bytesIn":${o.bytesIn},"bytesOut":${o.bytesOut},"durationMs":${durationMs},"principal":${o.principal === null ? 'null' : jsonString(o.principal)},`
    + `"requestId":${jsonString(o.requestId)}${operation === undefined ? '' : `,"operation":${jsonString(operation)}`}`
    + `${o.finished ? ',"msg":"request"}\n' : ',"aborted":true,"msg":"request aborted by the client"}\n'}`;
}

/** Installs the hooks and the health/metrics routes on `app` (before its other routes are used). */
export function installObservability(app: FastifyInstance, opts: ObservabilityOptions): void {
  const { log, accessLog, metrics } = opts;
  const observe = accessLog || metrics !== undefined;
  const stream = (log as unknown as Record<symbol, DestinationStream | undefined>)[pino.symbols.streamSym];
  const bindings = (log as unknown as Record<symbol, string | undefined>)[pino.symbols.chindingsSym] ?? '';
  // Wharf's own destinations take a batch of lines in one write; any other gets one line per write, as pino gives it.
  const batched = stream !== undefined && (stream as { [MANY_LINES]?: boolean })[MANY_LINES] === true;
  app.decorateRequest('wharfObservation', null);

  let queue: Observation[] = [];
  let timer: NodeJS.Timeout | undefined;

  /** Turns the queued requests into metric counts and access lines (one write for the batch). */
  function flush(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = queue;
    if (batch.length === 0) return;
    queue = [];
    const lines = accessLog && log.isLevelEnabled('info');
    // Line times are wall-clock times: now, less how long ago each request ended (the monotonic
    // clock alone would drift from the wall clock over a long uptime).
    const clock = { wall: Date.now(), mono: performance.now() };
    const text: string[] = [];
    for (const o of batch) {
      try {
        const { route, operation } = routeOf(o);
        metrics?.request(route, o.method, o.status, (o.end - o.start) / 1000, o.bytesIn, o.bytesOut);
        if (!lines) continue;
        if (batched) text.push(accessLine(o, operation, bindings, clock));
        else if (stream) stream.write(accessLine(o, operation, bindings, clock));
        else {
          const line: Record<string, unknown> = { method: o.method, path: redactUrl(o.url), status: o.status, bytesIn: o.bytesIn, bytesOut: o.bytesOut, durationMs: Math.round((o.end - o.start) * 100) / 100, principal: o.principal, requestId: o.requestId };
          if (operation !== undefined) line.operation = operation;
          if (!o.finished) line.aborted = true;
          log.info(line, o.finished ? 'request' : 'request aborted by the client');
        }
      } catch (err) {
        // A bug here costs one request's line and counts, never the process.
        log.warn({ err, requestId: o.requestId }, 'could not record the request for the access log and metrics');
      }
    }
    // One flat string (join copies the lines' pieces into one): a rope of thousands of small
    // pieces kept while the line waits for stdout survived young-generation collections and
    // measured ~5% of a manifest HEAD's cost.
    if (text.length) stream!.write(text.join(''));
  }

  function onClose(this: ObservedResponse): void {
    const o = this[OBSERVATION];
    if (!o) return;
    this[OBSERVATION] = undefined;
    // Answered: every byte handed over (an injected request's response ends without 'finish').
    const socket = o.socket;
    o.finished = this.writableFinished || (this.writableEnded && !socket.destroyed);
    o.status = o.finished || this.headersSent ? this.statusCode : 499;
    o.end = performance.now();
    const read = socket.bytesRead || 0; // (in-process injected requests have no real socket)
    const written = socket.bytesWritten || 0;
    const m = (socket as MarkedSocket)[MARKS];
    if (m) { m.read = read; m.written = written; } else (socket as MarkedSocket)[MARKS] = { read, written };
    o.bytesIn = read - o.read0;
    o.bytesOut = written - o.written0;
    if (o.upload) metrics?.uploadEnded();
    if (queue.push(o) >= QUEUE_MAX) flush();
    else if (!timer) timer = setTimeout(flush, FLUSH_MS);
  }

  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-amzn-requestid', req.id);
    if (observe) {
      const socket = (req.raw.socket ?? NO_SOCKET) as Socket;
      const m = (socket as MarkedSocket)[MARKS];
      const upload = metrics !== undefined && isUpload(req.method, req.url, req.headers);
      const target = req.headers['x-amz-target'];
      // The request's bytes start where the previous request on this connection ended (its request
      // line and headers are already read by now, with whatever body came in the same packet).
      const o = new Observation(req.method, req.url, req.id, typeof target === 'string' ? target : undefined, upload, socket,
        performance.now(), m ? m.read : 0, m ? m.written : 0);
      req.wharfObservation = o;
      const res = reply.raw as ObservedResponse;
      res[OBSERVATION] = o;
      res.on('close', onClose); // (fires once; `once` would allocate a wrapper per request)
      if (upload) metrics!.uploadStarted();
    }
    done();
  });
  // Lines and counts of the last requests are not lost when the server stops.
  app.addHook('onClose', async () => flush());

  app.get('/healthz', { exposeHeadRoute: true }, async (_req, reply) => {
    reply.header('cache-control', 'no-store').send({ status: 'ok' });
    return reply;
  });
  app.get('/readyz', { exposeHeadRoute: true }, async (_req, reply) => {
    const reason = await opts.ready().catch((e: unknown) => `readiness check failed: ${e instanceof Error ? e.message : String(e)}`);
    reply.code(reason === undefined ? 200 : 503).header('cache-control', 'no-store')
      .send(reason === undefined ? { status: 'ready' } : { status: 'not ready', reason });
    return reply;
  });
  if (metrics) {
    app.get('/metrics', async (_req, reply) => {
      flush(); // every request that ended before this scrape is counted
      const { contentType, body } = await metrics.scrape();
      reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
      return reply;
    });
  }
}
