// Builds the HTTP server: fastify (on a server of its own, or adopting the one `wharf serve` already
// bound) with body parsing switched off so that blob bytes stream straight from the socket to the
// BlobStore, one catch-all route per protocol (/v2/ for OCI, / for the AWS APIs), request ids, the access log, health and metrics
// routes (./observability), and the catalogue rendering every error, the framework's own included.
import Fastify, { LogController, type FastifyServerFactory, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { errors } from '../domain/errors.ts';
import { toWharfError } from './errors.ts';
import { handleOci } from './oci/index.ts';
import type { Services } from './services.ts';
import type { Config } from '../config/schema.ts';
import { handleAws } from './aws/index.ts';
import { answerFromCatalogue, clientErrorHandler, frameworkErrors, sendCatalogueError } from './framework-answers.ts';
import type { BoundServer } from './listen.ts';
import { randomUUID } from 'node:crypto';
import type { Metrics } from '../ports/metrics.ts';
import { clientGone, installObservability, redactUrl } from './observability/index.ts';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** What buildHttpServer needs besides services and config (app.ts passes them; tests may omit them). */
export interface HttpOptions {
  /** Metrics to count into and serve on /metrics; omitted: no metrics. */
  readonly metrics?: Metrics;
  /** Readiness check for /readyz: undefined when ready, else why not; omitted: always ready. */
  readonly ready?: () => Promise<string | undefined>;
  /**
   * `wharf serve`: an already listening server (src/http/listen.ts) that fastify adopts instead of
   * making its own; it gets requests once the app is ready and is closed with the app. Without it
   * (tests injecting requests) fastify makes an unbound server as usual.
   */
  readonly bound?: BoundServer;
}

export function buildHttpServer(services: Services, config: Config, logger: Logger, obs: HttpOptions = {}): FastifyInstance {
  const bound = obs.bound;
  const app = Fastify({
    ...(bound ? { serverFactory: ((handler, opts) => bound.adopt(handler, opts)) satisfies FastifyServerFactory } : {}),
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    exposeHeadRoutes: false,
    bodyLimit: 1024 * 1024,
    // Off: answerFromCatalogue() answers requests during shutdown with ShuttingDown (503) instead.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    requestIdHeader: false,
    // A request id per request (x-amzn-requestid on every answer, and in its access-log line).
    genReqId: () => randomUUID(),
    // No per-request child logger (fastify's default costs a pino child per request): the few
    // lines logged per request name their method and URL themselves.
    childLoggerFactory: (logger) => logger,
    // Registry names contain slashes; routing is done by our own path parser.
    routerOptions: { ignoreDuplicateSlashes: false, maxParamLength: 2048 },
    // The framework's own answers come from the catalogue too (./framework-answers.ts).
    clientErrorHandler,
    frameworkErrors,
  });
  answerFromCatalogue(app);
  // Bodies are streamed by handlers (blobs) or read with a size cap (manifests), never by fastify.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
  if (bound) {
    app.addHook('onReady', async () => bound.open());
    app.addHook('onClose', async () => bound.close());
  }

  app.setErrorHandler((error, req, reply) => {
    const err = toWharfError(error);
    // A client that went away mid-request is routine: its access-log line says so, at info.
    if (err.spec === errors.internal.spec && !clientGone(req.raw, reply.raw)) req.log.error({ err: error, method: req.method, url: redactUrl(req.url), requestId: req.id }, 'unhandled error');
    sendCatalogueError(req, reply, err);
  });

  installObservability(app, {
    log: logger, accessLog: config.accessLog, metrics: config.metrics ? obs.metrics : undefined, ready: obs.ready ?? (async () => undefined),
  });

  // Handlers send through `reply` themselves; returning it tells fastify not to send again (which
  // matters for streamed blobs, still being written when the handler's promise resolves).
  const oci = async (req: FastifyRequest, reply: FastifyReply) => {
    await handleOci(services, config, req, reply);
    return reply;
  };
  app.route({ method: [...METHODS], url: '/v2', handler: oci });
  app.route({ method: [...METHODS], url: '/v2/*', handler: oci });
  // The AWS front door: ECR (JSON 1.1), IAM and STS (Query, also GET /?Action=…).
  const aws = async (req: FastifyRequest, reply: FastifyReply) => {
    await handleAws(services, config, req, reply);
    return reply;
  };
  app.post('/', aws);
  app.get('/', aws);
  return app;
}
