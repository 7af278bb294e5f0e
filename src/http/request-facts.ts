// What a request tells the authorizer besides who signed it: the client's address, whether it came
// over TLS, its user agent (the aws:SourceIp, aws:SecureTransport and aws:UserAgent context keys).
import type { FastifyRequest } from 'fastify';
import type { TLSSocket } from 'node:tls';
import type { RequestFacts } from '../services/authorization.ts';

/**
 * The facts of `req`, plus `extra` (request tags). The address is the socket's: Wharf trusts no
 * X-Forwarded-For, so behind a proxy aws:SourceIp is the proxy's address.
 */
export function requestFacts(req: FastifyRequest, extra: Pick<RequestFacts, 'requestTags' | 'tagKeys'> = {}): RequestFacts {
  const socket = req.raw.socket as TLSSocket | undefined;
  const ua = req.headers['user-agent'];
  return {
    ...(socket?.remoteAddress ? { sourceIp: socket.remoteAddress.startsWith('::ffff:') ? socket.remoteAddress.slice(7) : socket.remoteAddress } : {}),
    secureTransport: socket?.encrypted === true,
    ...(typeof ua === 'string' ? { userAgent: ua } : {}),
    ...extra,
  };
}
