// The OCI Distribution API on /v2/: one dispatcher over parsed routes, errors rendered once.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../../domain/errors.ts';
import type { Services } from '../services.ts';
import { blob, startUpload, upload } from './blobs.ts';
import { catalog, manifest, referrers, tags } from './manifests.ts';
import { ROUTE_METHODS, parseOciPath } from './routes.ts';

export const API_VERSION_HEADER = { 'docker-distribution-api-version': 'registry/2.0' };

export async function handleOci(s: Services, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.headers(API_VERSION_HEADER);
  const rawPath = req.url.split('?', 1)[0];
  const route = parseOciPath(rawPath);
  if (!route) {
    req.raw.resume();
    reply.code(404).header('content-type', 'application/json')
      .send(JSON.stringify({ errors: [{ code: 'NOT_FOUND', message: `no route for ${req.method} ${rawPath}` }] }));
    return;
  }
  if (!ROUTE_METHODS[route.kind].includes(req.method)) {
    req.raw.resume();
    throw errors.unsupported({ what: `${req.method} is not allowed on ${rawPath}` }, undefined, 405);
  }
  switch (route.kind) {
    case 'base':
      reply.code(200).header('content-type', 'application/json').send('{}');
      return;
    case 'catalog': return catalog(s, req, reply);
    case 'tags': return tags(s, req, reply, route.name);
    case 'manifest': return manifest(s, req, reply, route.name, route.ref);
    case 'uploads': return startUpload(s, req, reply, route.name);
    case 'upload': return upload(s, req, reply, route.name, route.id);
    case 'blob': return blob(s, req, reply, route.name, route.digest);
    case 'referrers': return referrers(s, req, reply, route.name, route.digest);
  }
}
