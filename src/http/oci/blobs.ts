// /v2/<name>/blobs/... handlers: blob GET/HEAD/DELETE and the upload flows (POST, PATCH, PUT, GET, DELETE).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OutgoingHttpHeaders } from 'node:http';
import { errors } from '../../domain/errors.ts';
import { redactUrl } from '../observability/redact.ts';
import type { Services } from '../services.ts';
import { contentLength, hasBody, parseContentRange, parseRange, queryOf } from './request.ts';

function uploadLocation(name: string, id: string): string {
  return `/v2/${name}/blobs/uploads/${id}`;
}

function rangeHeader(size: number): string {
  return `0-${Math.max(0, size - 1)}`;
}

function sendUploadState(reply: FastifyReply, status: number, name: string, id: string, size: number): void {
  reply.code(status).headers({
    location: uploadLocation(name, id), 'docker-upload-uuid': id, range: rangeHeader(size), 'content-length': '0',
  }).send();
}

function sendBlobCreated(reply: FastifyReply, name: string, digest: string): void {
  reply.code(201).headers({ location: `/v2/${name}/blobs/${digest}`, 'docker-content-digest': digest, 'content-length': '0' }).send();
}

export async function blob(s: Services, req: FastifyRequest, reply: FastifyReply, name: string, digest: string): Promise<void> {
  if (req.method === 'DELETE') {
    await s.blobs.delete(name, digest);
    reply.code(202).header('content-length', '0').send();
    return;
  }
  const info = await s.blobs.stat(name, digest);
  const range = parseRange(req.headers.range, info.size);
  reply.headers({
    'docker-content-digest': digest, etag: `"${digest}"`, 'accept-ranges': 'bytes',
    'content-type': 'application/octet-stream', 'cache-control': 'max-age=31536000',
  });
  if (range === 'unsatisfiable') {
    reply.header('content-range', `bytes */${info.size}`);
    throw errors.rangeNotSatisfiable({ range: String(req.headers.range), size: info.size });
  }
  if (range !== 'all') {
    reply.code(206).headers({ 'content-range': `bytes ${range.start}-${range.end}/${info.size}`, 'content-length': String(range.end - range.start + 1) });
  } else {
    reply.code(200).header('content-length', String(info.size));
  }
  if (req.method === 'HEAD') {
    reply.send();
    return;
  }
  const body = await s.blobs.read(name, digest, range === 'all' ? undefined : range);
  if (!body.writeTo) {
    reply.send(body);
    return;
  }
  // The store's fast path writes straight into the response; fastify steps aside.
  reply.hijack();
  const res = reply.raw;
  res.writeHead(reply.statusCode, reply.getHeaders() as OutgoingHttpHeaders);
  try {
    await body.writeTo(res);
    res.end();
  } catch (e) {
    // A client that went away is routine; anything else (a read error) is worth a line.
    if (!res.destroyed) req.log.error({ err: e, method: req.method, url: redactUrl(req.url) }, 'blob download failed');
    res.destroy();
  }
}

/** POST /v2/<name>/blobs/uploads/: open a session, push monolithically (?digest=), or mount (?mount=&from=). */
/**
 * POST …/blobs/uploads/: a cross-repository mount (`?mount=&from=`) when `mayReadFrom(from)` (the
 * caller may pull from the source repository: ecr:GetDownloadUrlForLayer there), a monolithic upload
 * (`?digest=` with the body), or a new upload session. A mount that cannot be made is a new session,
 * as the distribution spec says.
 */
export async function startUpload(s: Services, req: FastifyRequest, reply: FastifyReply, name: string, mayReadFrom: (repo: string) => Promise<boolean>): Promise<void> {
  const q = queryOf(req.url);
  const mount = q.get('mount');
  const from = q.get('from');
  if (mount && from && (await mayReadFrom(from))) {
    const mounted = await s.blobs.mount(name, from, mount).catch((e) => {
      // A bad `from` name or missing source repo means no mount; the spec then wants a normal upload.
      if (e?.spec?.oci === 'NAME_INVALID' || e?.spec?.oci === 'NAME_UNKNOWN') return undefined;
      throw e;
    });
    if (mounted) {
      req.raw.resume();
      sendBlobCreated(reply, name, mounted.digest);
      return;
    }
  }
  const digest = q.get('digest');
  if (digest !== null && (hasBody(req.raw) || req.headers['content-length'] === '0')) {
    const info = await s.blobs.putWhole(name, digest, req.raw, contentLength(req.raw));
    sendBlobCreated(reply, name, info.digest);
    return;
  }
  req.raw.resume();
  const up = await s.blobs.startUpload(name);
  sendUploadState(reply, 202, name, up.id, 0);
}

/** /v2/<name>/blobs/uploads/<id>: status, chunk, complete, cancel. */
export async function upload(s: Services, req: FastifyRequest, reply: FastifyReply, name: string, id: string): Promise<void> {
  switch (req.method) {
    case 'GET': {
      const st = await s.blobs.upload(name, id);
      reply.code(204).headers({ location: uploadLocation(name, id), 'docker-upload-uuid': id, range: rangeHeader(st.size) }).send();
      return;
    }
    case 'DELETE': {
      await s.blobs.cancel(name, id);
      reply.code(204).send();
      return;
    }
    case 'PATCH': {
      const start = chunkStart(req);
      const st = await s.blobs.append(name, id, req.raw, start);
      sendUploadState(reply, 202, name, id, st.size);
      return;
    }
    case 'PUT': {
      const digest = queryOf(req.url).get('digest');
      if (!digest) {
        req.raw.resume();
        throw errors.digestInvalid({ reason: 'the digest query parameter is required to complete an upload' });
      }
      const body = hasBody(req.raw) ? req.raw : undefined;
      if (!body) req.raw.resume();
      const info = await s.blobs.complete(name, id, digest, body, body ? chunkStart(req) : undefined);
      sendBlobCreated(reply, name, info.digest);
      return;
    }
  }
}

/** The offset a chunk claims to start at (Content-Range), checked against its Content-Length. */
function chunkStart(req: FastifyRequest): number | undefined {
  const header = req.headers['content-range'];
  if (header === undefined) return undefined;
  const r = parseContentRange(String(header));
  if (!r) {
    req.raw.resume();
    throw errors.uploadOutOfOrder({ expected: -1, got: String(header) });
  }
  const len = contentLength(req.raw);
  if (len !== undefined && len !== r.end - r.start + 1) {
    req.raw.resume();
    throw errors.sizeInvalid({ reason: `Content-Range ${header} does not match Content-Length ${len}` });
  }
  return r.start;
}
