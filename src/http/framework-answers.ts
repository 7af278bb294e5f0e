// The answers the HTTP layer gives on its own (no route, a malformed request, headers too large, a
// request during shutdown), rendered from the error catalogue like every other error.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { maxHeaderSize, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { errors, type WharfError } from '../domain/errors.ts';
import { awsProtocolOf } from './aws/index.ts';
import { IAM } from './aws/query-services.ts';
import { renderQueryError } from './aws/xml.ts';
import { renderAwsError } from './ecr/wire.ts';
import { renderOciError, toWharfError } from './errors.ts';
import { API_VERSION_HEADER } from './oci/index.ts';

/**
 * Sends `err` the way the request's protocol renders errors: AWS JSON 1.1 or Query XML for the AWS
 * front door (the XML with IAM's namespace: no body was read to know the service), OCI otherwise.
 */
export function sendCatalogueError(req: FastifyRequest, reply: FastifyReply, err: WharfError): void {
  const aws = awsProtocolOf(req.method, req.url, req.headers);
  if (aws === 'json') {
    const r = renderAwsError(err);
    reply.code(r.status).headers({ 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': r.type }).send(Buffer.from(r.body));
    return;
  }
  if (aws === 'query') {
    const r = renderQueryError(err, IAM.xmlns, req.id);
    reply.code(r.status).header('content-type', 'text/xml').send(Buffer.from(r.body));
    return;
  }
  const r = renderOciError(err);
  reply.code(r.status).headers(API_VERSION_HEADER).header('content-type', 'application/json').send(r.body);
}

/** What a connection-level parse error (node's `clientError`) stands for in the catalogue. */
function clientErrorOf(err: NodeJS.ErrnoException): WharfError {
  if (err.code === 'HPE_HEADER_OVERFLOW') return errors.headersTooLarge({ limit: maxHeaderSize });
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return errors.requestTimeout();
  return errors.requestRejected({ reason: `malformed HTTP request (${err.code ?? 'parse error'})` });
}

/**
 * fastify's `clientErrorHandler`: a request node could not parse (bad request line, header overflow,
 * timeout) is answered with the catalogue's OCI body and status, then the connection is closed.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const e = clientErrorOf(err);
    const r = renderOciError(e);
    const headers = { ...API_VERSION_HEADER, 'content-type': 'application/json', 'content-length': Buffer.byteLength(r.body), connection: 'close' };
    socket.write(`HTTP/1.1 ${r.status} ${STATUS_CODES[r.status] ?? ''}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${r.body}`);
  }
  socket.destroy(err);
}

/**
 * fastify's `frameworkErrors`: a URL it cannot decode (400) or a path parameter over its limit (414),
 * kept at fastify's status as RequestRejected.
 */
export function frameworkErrors(error: Error, req: FastifyRequest, reply: FastifyReply): void {
  sendCatalogueError(req, reply, toWharfError(error));
}

/**
 * Installs the not-found handler (RouteNotFound), the answer to an unsupported Expect header
 * (ExpectationFailed, 417, instead of node's empty one) and the shutdown answer (ShuttingDown, 503,
 * in place of fastify's return503OnClosing body, which must be off).
 */
export function answerFromCatalogue(app: FastifyInstance): void {
  app.setNotFoundHandler((req, reply) => {
    const q = req.url.indexOf('?');
    sendCatalogueError(req, reply, errors.routeNotFound({ method: req.method, path: q < 0 ? req.url : req.url.slice(0, q) }));
  });
  // Node answers an Expect other than 100-continue with a bare 417 unless someone listens.
  app.server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const r = renderOciError(errors.expectationFailed({ expect: String(req.headers.expect) }));
    res.writeHead(r.status, { ...API_VERSION_HEADER, 'content-type': 'application/json', 'content-length': Buffer.byteLength(r.body), connection: 'close' }).end(r.body);
  });
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (req, reply, done) => {
    if (!closing) return done();
    reply.header('connection', 'close');
    sendCatalogueError(req, reply, errors.shuttingDown());
  });
}
