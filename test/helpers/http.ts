// Small HTTP helpers for the OCI Distribution API integration tests (test/integration/oci-*.test.ts):
// digests, OCI error assertions, blob/manifest pushes, and raw requests that bypass URL normalisation.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { authHeaderFor, authedFetch as fetch } from './server.ts';

export const MT = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  nonDistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
} as const;

export function sha256(b: Uint8Array | string): string {
  return 'sha256:' + createHash('sha256').update(b).digest('hex');
}
export function sha512(b: Uint8Array | string): string {
  return 'sha512:' + createHash('sha512').update(b).digest('hex');
}
/** Random bytes, typed so that fetch accepts them as a body. */
export function randomBlob(n: number): Buffer<ArrayBuffer> {
  return Buffer.from(randomBytes(n));
}

/** What the helpers accept as a request body. */
export type Bytes = string | Uint8Array<ArrayBuffer>;

/** A digest that is well formed but names nothing stored. */
export function absentDigest(): string {
  return sha256(randomBytes(16));
}

export interface OciError { code: string; message: string; detail?: unknown }

/** Asserts the status and that the body is an OCI error envelope containing `code`; returns the errors. */
export async function expectOciError(res: Response, status: number | number[], code: string): Promise<OciError[]> {
  const text = await res.text();
  const statuses = Array.isArray(status) ? status : [status];
  assert.ok(statuses.includes(res.status), `expected HTTP ${statuses.join(' or ')} (${code}), got ${res.status}: ${text}`);
  let body: { errors?: OciError[] };
  try {
    body = JSON.parse(text);
  } catch {
    assert.fail(`expected an OCI error envelope with ${code}, got non-JSON body: ${JSON.stringify(text)}`);
  }
  assert.ok(Array.isArray(body.errors) && body.errors.length > 0, `expected {"errors":[...]}, got ${text}`);
  for (const e of body.errors) {
    assert.equal(typeof e.code, 'string', `error without code: ${text}`);
    assert.equal(typeof e.message, 'string', `error without message: ${text}`);
  }
  assert.ok(body.errors.some((e) => e.code === code), `expected error code ${code}, got ${text}`);
  return body.errors;
}

/** Asserts the response status, reporting the body when it differs. */
export async function expectStatus(res: Response, status: number): Promise<void> {
  if (res.status !== status) {
    const text = await res.clone().text().catch(() => '');
    assert.fail(`expected HTTP ${status}, got ${res.status}: ${text.slice(0, 500)}`);
  }
}

/** Resolves a Location header (relative or absolute) against the registry base URL. */
export function resolveLocation(base: string, res: Response): string {
  const loc = res.headers.get('location');
  assert.ok(loc, `response ${res.status} has no Location header`);
  return new URL(loc, base).toString();
}

/** Appends a query parameter to an upload location that may already carry a query string. */
export function withQuery(location: string, params: Record<string, string>): string {
  const u = new URL(location);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

/** Path of a Location header, whether the server sent it relative or absolute. */
export function locationPath(res: Response): string {
  const loc = res.headers.get('location');
  assert.ok(loc, `response ${res.status} has no Location header`);
  return new URL(loc, 'http://placeholder').pathname;
}

/** Monolithic push (POST ?digest=); asserts 201 and returns the digest. */
export async function pushBlob(base: string, repo: string, bytes: Bytes): Promise<string> {
  const digest = sha256(bytes);
  const res = await fetch(`${base}/v2/${repo}/blobs/uploads/?digest=${digest}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  await res.arrayBuffer();
  assert.equal(res.status, 201, `pushing blob ${digest} to ${repo}: HTTP ${res.status}`);
  return digest;
}

/** Opens an upload session; asserts 202 and returns the absolute upload URL. */
export async function startUpload(base: string, repo: string): Promise<string> {
  const res = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  await res.arrayBuffer();
  assert.equal(res.status, 202, `starting an upload in ${repo}: HTTP ${res.status}`);
  return resolveLocation(base, res);
}

export function putManifest(base: string, repo: string, ref: string, body: Bytes, mediaType: string): Promise<Response> {
  return fetch(`${base}/v2/${repo}/manifests/${ref}`, { method: 'PUT', headers: { 'content-type': mediaType }, body });
}

/** Pushes a manifest, asserts 201 and returns its digest (sha256 of the exact bytes). */
export async function pushManifest(base: string, repo: string, ref: string, body: Bytes, mediaType: string): Promise<string> {
  const res = await putManifest(base, repo, ref, body, mediaType);
  const text = await res.text();
  assert.equal(res.status, 201, `PUT manifest ${repo}:${ref}: HTTP ${res.status} ${text}`);
  return sha256(body);
}

export interface Descriptor { mediaType: string; digest: string; size: number; [k: string]: unknown }

export function descriptor(mediaType: string, bytes: Uint8Array | string, extra: Record<string, unknown> = {}): Descriptor {
  return { mediaType, digest: sha256(bytes), size: Buffer.byteLength(bytes), ...extra };
}

/**
 * Pushes a fresh config and one layer into `repo` and returns an OCI image manifest (not pushed)
 * that references them. `extra` is merged into the manifest (e.g. subject, artifactType).
 */
export async function makeImage(base: string, repo: string, extra: Record<string, unknown> = {}, mediaType: string = MT.ociManifest): Promise<{ body: string; digest: string }> {
  const docker = mediaType === MT.dockerManifest;
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, nonce: randomBytes(8).toString('hex') });
  const layer = randomBlob(64);
  await pushBlob(base, repo, config);
  await pushBlob(base, repo, layer);
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType,
    config: descriptor(docker ? MT.dockerConfig : MT.ociConfig, config),
    layers: [descriptor(docker ? MT.dockerLayer : MT.ociLayer, layer)],
    ...extra,
  });
  return { body, digest: sha256(body) };
}

export interface RawResponse { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

/** A request with the path sent byte for byte (no URL normalisation of `..`, `%2e` or `//`). */
export function rawRequest(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: Bytes): Promise<RawResponse> {
  const u = new URL(base);
  const auth = authHeaderFor(u.origin);
  const all = auth && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization') ? { authorization: auth, ...headers } : headers;
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers: all }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/** OCI error codes in a raw response body (empty when it is not an error envelope). */
export function rawErrorCodes(r: RawResponse): string[] {
  try {
    const b = JSON.parse(r.body.toString('utf8')) as { errors?: OciError[] };
    return (b.errors ?? []).map((e) => e.code);
  } catch {
    return [];
  }
}

/** Parses a `Link: <url>; rel="next"` header into the URL, or undefined. */
export function nextLink(res: Response): string | undefined {
  const link = res.headers.get('link');
  if (!link) return undefined;
  const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  assert.ok(m, `malformed Link header: ${link}`);
  return m[1];
}
