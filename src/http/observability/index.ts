// Access log, request ids, request metrics and the unauthenticated /healthz, /readyz and /metrics
// routes, installed on the HTTP server as one feature. Per request: one small record made in the
// onRequest hook, one 'close' listener on the response (which fires for answered and aborted
// requests alike), one access line written straight to the logger's stream, and a few additions
// to plain counters; no child logger, no pino serialisation or redaction on the hot path.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import type { ServerResponse } from 'node:http';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { Metrics } from '../../ports/metrics.ts';
import { hasBody } from '../oci/request.ts';
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

/** What the access log and metrics need of one request, filled in as it goes. */
class Observation {
  /** ARN of the authenticated principal; null while anonymous, or for presigned URLs. */
  principal: string | null = null;
  constructor(
    readonly method: string, readonly url: string, readonly requestId: string, public route: string,
    public operation: string | undefined, readonly upload: boolean, readonly socket: Socket,
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
const NO_SOCKET = {};

/**
 * The observation of each response in flight, and where on its connection the last request ended
 * (bytes read, bytes written: the next one starts there). Kept in WeakMaps rather than as extra
 * properties on node's ServerResponse and Socket objects: new properties change those objects'
 * hidden classes, which made node's own code on them measurably slower (every HTTP function
 * showed up slower in CPU profiles, not only ours).
 */
const observations = new WeakMap<ServerResponse, Observation>();
interface Marks { read: number; written: number }
const marks = new WeakMap<Socket, Marks>();

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
  if (o) { o.route = route; o.operation = route; }
}

/** The route label of a request: /v2/ route kind, ECR operation (POST /), health route, or `other`. */
function routeOf(method: string, url: string, headers: FastifyRequest['headers']): { route: string; operation?: string } {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (path.startsWith('/v2')) return { route: ociRouteKind(path) };
  if (path === '/' && method === 'POST') {
    const target = headers['x-amz-target'] ?? (q < 0 ? undefined : new URLSearchParams(url.slice(q + 1)).get('X-Amz-Target') ?? undefined);
    const operation = ecrOperation(target);
    return { route: operation, operation };
  }
  if (path === '/healthz' || path === '/readyz' || path === '/metrics') return { route: path.slice(1) };
  return { route: 'other' };
}

/**
 * Writes access lines straight to the logger's stream, as pino would write
 * `log.info({ method, path, status, bytesIn, bytesOut, durationMs, principal, requestId, operation?,
 * aborted? }, msg)` (level, time, the logger's bindings, msg last), without pino's per-call work:
 * its redaction (wildcard paths, ~25 µs a line) and generic serialisation would multiply the
 * per-request cost. Every part is redacted or ours: the path through redactUrl, strings that come
 * from the client JSON-escaped.
 */
function accessLineWriter(log: Logger) {
  const stream = (log as unknown as Record<symbol, DestinationStream | undefined>)[pino.symbols.streamSym];
  const bindings = (log as unknown as Record<symbol, string | undefined>)[pino.symbols.chindingsSym] ?? '';
  return (o: Observation, status: number, bytesIn: number, bytesOut: number, durationMs: number, finished: boolean): void => {
    const path = redactUrl(o.url);
    if (!stream) {
      const line: Record<string, unknown> = { method: o.method, path, status, bytesIn, bytesOut, durationMs, principal: o.principal, requestId: o.requestId };
      if (o.operation !== undefined) line.operation = o.operation;
      if (!finished) line.aborted = true;
      log.info(line, finished ? 'request' : 'request aborted by the client');
      return;
    }
    stream.write(`{"level":30,"time":${Date.now()}${bindings},"method":${JSON.stringify(o.method)},"path":${JSON.stringify(path)},"status":${status},`
      + `"bytesIn":${bytesIn},"bytesOut":${bytesOut},"durationMs":${durationMs},"principal":${o.principal === null ? 'null' : JSON.stringify(o.principal)},`
      + `"requestId":${JSON.stringify(o.requestId)}${o.operation === undefined ? '' : `,"operation":${JSON.stringify(o.operation)}`}`
      + `${finished ? ',"msg":"request"}\n' : ',"aborted":true,"msg":"request aborted by the client"}\n'}`);
  };
}

/** Installs the hooks and the health/metrics routes on `app` (before its other routes are used). */
export function installObservability(app: FastifyInstance, opts: ObservabilityOptions): void {
  const { log, accessLog, metrics } = opts;
  const observe = accessLog || metrics !== undefined;
  const writeAccessLine = accessLineWriter(log);
  app.decorateRequest('wharfObservation', null);

  function onClose(this: ServerResponse): void {
    const o = observations.get(this);
    if (!o) return;
    observations.delete(this);
    try {
      record(this, o);
    } catch (err) {
      // An event listener must not throw (it would take the process down); a bug here costs one line.
      log.warn({ err, requestId: o.requestId }, 'could not record the request for the access log and metrics');
    }
  }

  function record(res: ServerResponse, o: Observation): void {
    // Answered: every byte handed over (an injected request's response ends without 'finish').
    const finished = res.writableFinished || (res.writableEnded && !o.socket.destroyed);
    const status = finished || res.headersSent ? res.statusCode : 499;
    const seconds = (performance.now() - o.start) / 1000;
    const socket = o.socket;
    const read = socket.bytesRead || 0; // (in-process injected requests have no real socket)
    const written = socket.bytesWritten || 0;
    const m = marks.get(socket);
    if (m) { m.read = read; m.written = written; } else if (typeof socket === 'object') marks.set(socket, { read, written });
    const bytesIn = read - o.read0;
    const bytesOut = written - o.written0;
    if (metrics) {
      if (o.upload) metrics.uploadEnded();
      metrics.request(o.route, o.method, status, seconds, bytesIn, bytesOut);
    }
    if (accessLog && log.isLevelEnabled('info')) {
      writeAccessLine(o, status, bytesIn, bytesOut, Math.round(seconds * 1e5) / 100, finished);
    }
  }

  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-amzn-requestid', req.id);
    if (observe) {
      const socket = (req.raw.socket ?? NO_SOCKET) as Socket;
      const m = marks.get(socket);
      const { route, operation } = routeOf(req.method, req.url, req.headers);
      const upload = route === 'upload' && req.method !== 'GET' && req.method !== 'DELETE' && hasBody(req.raw);
      // The request's bytes start where the previous request on this connection ended (its request
      // line and headers are already read by now, with whatever body came in the same packet).
      const o = new Observation(req.method, req.url, req.id, route, operation, upload, socket,
        performance.now(), m?.read ?? 0, m?.written ?? 0);
      req.wharfObservation = o;
      const res = reply.raw;
      observations.set(res, o);
      res.on('close', onClose); // (fires once; `once` would allocate a wrapper per request)
      if (upload) metrics?.uploadStarted();
    }
    done();
  });

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
      const { contentType, body } = await metrics.scrape();
      reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
      return reply;
    });
  }
}
