// Binds Wharf's listening socket before the app is built, so that the final frozen config can name
// the address and port the kernel really gave (WHARF_PORT=0) in every URI. Requests that arrive
// between binding and the app being ready wait (they are answered once it is), and failures to
// bind (EADDRINUSE, EACCES) become one-line errors naming host:port.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { errors } from '../domain/errors.ts';
import { renderOciError } from './errors.ts';
import { API_VERSION_HEADER } from './oci/index.ts';
import type { TlsPair } from './tls.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A bound server waiting for its request handler (fastify's, through serverFactory). */
export interface BoundServer {
  readonly server: Server;
  /** The address and port really bound. */
  readonly address: AddressInfo;
  readonly tls: boolean;
  /** Gives fastify the server (its serverFactory); requests queue until open(). */
  adopt(handler: Handler, opts: { keepAliveTimeout?: number; requestTimeout?: number; connectionTimeout?: number }): Server;
  /** Starts handing requests (and the queued ones) to the adopted handler. */
  open(): void;
  /** Serves `pair` to new TLS connections from now on (https servers only). */
  useCertificate(pair: TlsPair): void;
  /** Stops accepting, closes idle connections and waits for the others to end. */
  close(): Promise<void>;
}

/** A bind failure, with a message fit for one line on stderr. */
export class ListenError extends Error {}

/** `host:port`, with brackets for IPv6. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Binds host:port (http, or https with `tls`). Rejects with ListenError when the port cannot be had. */
export async function bindServer(host: string, port: number, tls?: TlsPair): Promise<BoundServer> {
  const server: Server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }) : createHttpServer();
  let handler: Handler | undefined;
  const queued: [IncomingMessage, ServerResponse][] = [];
  const early: Handler = (req, res) => {
    if (handler) handler(req, res);
    else queued.push([req, res]);
  };
  server.on('request', early);
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      const where = hostPort(host, port);
      const why = e.code === 'EADDRINUSE' ? 'address already in use'
        : e.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)'
        : e.code === 'EADDRNOTAVAIL' ? 'address not available on this machine'
        : e.code ?? e.message;
      reject(new ListenError(`cannot listen on ${where}: ${why}`));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port });
  });
  const address = server.address() as AddressInfo;
  let adopted: Handler | undefined;
  return {
    server, address, tls: !!tls,
    adopt(h, opts) {
      adopted = h;
      // What fastify sets on the servers it makes itself (requestTimeout 0: big blob uploads take long).
      server.keepAliveTimeout = opts.keepAliveTimeout ?? 72_000;
      server.requestTimeout = opts.requestTimeout ?? 0;
      server.setTimeout(opts.connectionTimeout ?? 0);
      return server;
    },
    open() {
      if (!adopted) throw new Error('open() before adopt()');
      handler = adopted;
      for (const [req, res] of queued.splice(0)) handler(req, res);
    },
    useCertificate(pair) {
      if (!tls) throw new Error('useCertificate on a plain http server');
      (server as HttpsServer).setSecureContext({ cert: pair.cert, key: pair.key });
    },
    close() {
      // Requests still waiting for an app that never became ready get a 503 rather than hang.
      for (const [, res] of queued.splice(0)) {
        const r = renderOciError(errors.shuttingDown());
        res.writeHead(r.status, { ...API_VERSION_HEADER, 'content-type': 'application/json', connection: 'close' }).end(r.body);
      }
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}
