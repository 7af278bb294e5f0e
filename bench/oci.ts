// Distribution-API operations the workloads are made of: blob pushes (monolithic, chunked, single POST), manifests, listing.
import { Client, nextLink, withParam, type Body, type Response } from './http.ts';
import { BlobSource, sha256, type SmallBlob } from './data.ts';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';
const OCTET = 'application/octet-stream';

async function startUpload(c: Client, repo: string): Promise<string> {
  const res = await c.request('POST', `/v2/${repo}/blobs/uploads/`, { expect: [202] });
  return c.location(res, 'POST');
}

/** Monolithic push: POST to open an upload, then one PUT ?digest= carrying the whole body. */
export async function pushMonolithic(c: Client, repo: string, digest: string, size: number, body: Body): Promise<void> {
  const loc = await startUpload(c, repo);
  await c.request('PUT', withParam(loc, 'digest', digest), {
    headers: { 'Content-Type': OCTET, 'Content-Length': size },
    body,
    expect: [201],
  });
}

/** Chunked push: POST, then PATCHes of chunkSize with Content-Range start-end (inclusive), then PUT ?digest= with no body. */
export async function pushChunked(c: Client, repo: string, src: BlobSource, chunkSize: number): Promise<number> {
  let loc = await startUpload(c, repo);
  let patches = 0;
  for (let start = 0; start < src.size; start += chunkSize) {
    const end = Math.min(start + chunkSize, src.size);
    const res = await c.request('PATCH', loc, {
      headers: { 'Content-Type': OCTET, 'Content-Length': end - start, 'Content-Range': `${start}-${end - 1}` },
      body: src.range(start, end),
      expect: [202],
    });
    loc = c.location(res, 'PATCH');
    patches++;
  }
  await c.request('PUT', withParam(loc, 'digest', src.digest()), { expect: [201] });
  return patches;
}

/** Single-request push: POST ?digest= with the body (201). */
export async function pushSinglePost(c: Client, repo: string, blob: SmallBlob): Promise<void> {
  await c.request('POST', `/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, {
    headers: { 'Content-Type': OCTET },
    body: blob.data,
    expect: [201],
  });
}

export type SmallPushMode = 'single-post' | 'post-put';

/**
 * Finds out whether the registry completes an upload from a single POST ?digest= (201), or answers 202 and
 * wants a PUT (CNCF Distribution 2.x). Completes the probe blob's upload either way.
 */
export async function probeSmallPushMode(c: Client, repo: string, blob: SmallBlob): Promise<SmallPushMode> {
  const res = await c.request('POST', `/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, {
    headers: { 'Content-Type': OCTET },
    body: blob.data,
    expect: [201, 202],
  });
  if (res.status === 201) return 'single-post';
  // Distribution ignored the body; the 202 opened an upload session: finish it with the PUT.
  const loc = c.location(res, 'POST');
  await c.request('PUT', withParam(loc, 'digest', blob.digest), { headers: { 'Content-Type': OCTET }, body: blob.data, expect: [201] });
  return 'post-put';
}

export async function pushSmall(c: Client, repo: string, blob: SmallBlob, mode: SmallPushMode): Promise<void> {
  if (mode === 'single-post') return pushSinglePost(c, repo, blob);
  return pushMonolithic(c, repo, blob.digest, blob.data.length, blob.data);
}

export async function putManifest(c: Client, repo: string, ref: string, manifest: Buffer): Promise<Response> {
  return c.request('PUT', `/v2/${repo}/manifests/${ref}`, {
    headers: { 'Content-Type': OCI_MANIFEST },
    body: manifest,
    expect: [201],
  });
}

export interface SmallImage {
  manifest: Buffer;
  digest: string;
}

/** A tiny OCI image (JSON config + one small layer), fixed content so both registries get the same bytes. */
export function smallImage(layer: SmallBlob): { config: SmallBlob; layer: SmallBlob; image: SmallImage } {
  const cfgData = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: {},
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
  }));
  const config = { data: cfgData, digest: sha256(cfgData) };
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: config.digest, size: cfgData.length },
    layers: [{ mediaType: OCI_LAYER, digest: layer.digest, size: layer.data.length }],
  }));
  return { config, layer, image: { manifest, digest: sha256(manifest) } };
}

/** Pushes the tiny image's blobs and its manifest under `tag`. */
export async function pushSmallImage(c: Client, repo: string, layer: SmallBlob, tag: string): Promise<SmallImage> {
  const { config, image } = smallImage(layer);
  for (const b of [config, layer]) await pushMonolithic(c, repo, b.digest, b.data.length, b.data);
  const res = await putManifest(c, repo, tag, image.manifest);
  const got = res.headers['docker-content-digest'];
  if (got && got !== image.digest) throw new Error(`PUT /v2/${repo}/manifests/${tag}: Docker-Content-Digest ${got}, expected ${image.digest}`);
  return image;
}

export interface Listing {
  items: string[];
  requests: number;
}

/** GETs a list endpoint and follows `Link: <...>; rel="next"` until the end, collecting `key` from each page. */
export async function listAll(c: Client, path: string, key: 'tags' | 'repositories'): Promise<Listing> {
  const items: string[] = [];
  let url: string | undefined = path;
  let requests = 0;
  while (url) {
    const res = await c.request('GET', url, { expect: [200] });
    requests++;
    if (requests > 100_000) throw new Error(`GET ${path}: more than 100000 pages, Link loop?`);
    const body = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
    const page = body[key];
    if (page !== null && page !== undefined && !Array.isArray(page)) throw new Error(`GET ${res.url}: "${key}" is not an array: ${res.body.toString('utf8').slice(0, 200)}`);
    items.push(...((page as string[] | null) ?? []));
    url = nextLink(res);
  }
  return { items, requests };
}

/** GET a blob, following one redirect if the registry sends one; counts and discards the bytes. */
export async function pullBlob(c: Client, repo: string, digest: string): Promise<number> {
  let res = await c.request('GET', `/v2/${repo}/blobs/${digest}`, { expect: [200, 307, 302], discard: true });
  if (res.status !== 200) res = await c.request('GET', c.location(res, 'GET'), { expect: [200], discard: true });
  return res.bytes;
}
