// /v2/<name>/manifests/<ref>, tags/list, referrers and _catalog handlers.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../../domain/errors.ts';
import { MT } from '../../domain/media-types.ts';
import type { Principal } from '../../services/identity.ts';
import type { Services } from '../services.ts';
import { UNPAGED, pageOf, queryOf, readSmallBody } from './request.ts';

/** Parsed Accept headers: clients send the same few over and over, so each is split once. */
const acceptCache = new Map<string, readonly string[]>();
const ACCEPT_CACHE_SIZE = 256;

function acceptList(req: FastifyRequest): readonly string[] {
  const raw = req.headers.accept;
  if (!raw) return [];
  const key = Array.isArray(raw) ? raw.join(',') : raw;
  let list = acceptCache.get(key);
  if (!list) {
    list = Object.freeze(key.split(',').map((s) => s.split(';')[0].trim()).filter(Boolean));
    if (acceptCache.size >= ACCEPT_CACHE_SIZE) acceptCache.delete(acceptCache.keys().next().value!);
    acceptCache.set(key, list);
  }
  return list;
}

export async function manifest(s: Services, req: FastifyRequest, reply: FastifyReply, name: string, ref: string, principal?: Principal): Promise<void> {
  switch (req.method) {
    case 'PUT': {
      const bytes = await readSmallBody(req.raw, s.manifests.maxBytes, () => errors.manifestTooLarge({ limit: s.manifests.maxBytes }));
      // OCI 1.1: a push by digest may name tags to apply with it (`?tag=a&tag=b`); a push by tag ignores them.
      const tags = ref.includes(':') ? queryOf(req.url).getAll('tag') : [];
      const pushed = await s.manifests.put(name, ref, bytes, req.headers['content-type'], { tags });
      reply.code(201).headers({
        location: `/v2/${name}/manifests/${pushed.digest}`, 'docker-content-digest': pushed.digest, 'content-length': '0',
        ...(pushed.subject ? { 'oci-subject': pushed.subject } : {}),
        ...(tags.length > 0 ? { 'oci-tag': [...pushed.tags] } : {}),
      }).send();
      return;
    }
    case 'DELETE': {
      await s.manifests.delete(name, ref);
      reply.code(202).header('content-length', '0').send();
      return;
    }
    default: {
      const m = await s.manifests.get(name, ref, acceptList(req));
      reply.code(200).headers({
        'content-type': m.mediaType, 'content-length': String(m.size), 'docker-content-digest': m.digest, etag: `"${m.digest}"`,
      });
      if (req.method === 'HEAD') {
        reply.send();
        return;
      }
      reply.send(m.bytes);
      await s.manifests.recordServed(m, principal?.arn);
    }
  }
}

function linkHeader(path: string, n: number, last: string): string {
  return `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"`;
}

export async function tags(s: Services, req: FastifyRequest, reply: FastifyReply, name: string): Promise<void> {
  const page = pageOf(queryOf(req.url));
  const tags = await s.manifests.listTagsJson(name, page.last, page.n ?? UNPAGED);
  if (tags.more && tags.last !== undefined && page.n !== undefined && page.n > 0) reply.header('link', linkHeader(`/v2/${name}/tags/list`, page.n, tags.last));
  reply.code(200).header('content-type', 'application/json').send(`{"name":${JSON.stringify(name)},"tags":${tags.json}}`);
}

export async function catalog(s: Services, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const page = pageOf(queryOf(req.url));
  const { names, more } = await s.repositories.list(page.last, page.n ?? UNPAGED);
  if (more && page.n !== undefined && page.n > 0) reply.header('link', linkHeader('/v2/_catalog', page.n, names[names.length - 1]));
  reply.code(200).header('content-type', 'application/json').send(JSON.stringify({ repositories: names }));
}

export async function referrers(s: Services, req: FastifyRequest, reply: FastifyReply, name: string, digest: string): Promise<void> {
  const artifactType = queryOf(req.url).get('artifactType') ?? undefined;
  const manifests = await s.manifests.referrers(name, digest, artifactType);
  if (artifactType !== undefined) reply.header('oci-filters-applied', 'artifactType');
  reply.code(200).header('content-type', MT.ociIndex).send(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests })));
}
