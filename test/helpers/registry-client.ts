// A small OCI Distribution client over fetch, for tests: blob uploads (monolithic POST+PUT, single
// POST, chunked PATCH), manifests, tags, referrers. Methods that a test may want to assert on return
// the raw Response-like result; `push*` helpers throw with the full exchange when a step fails.
import { sha256, type Built } from './oci-layout.ts';
import { authedFetch as fetch } from './server.ts';

export interface Exchange {
  method: string;
  url: string;
  status: number;
  headers: Headers;
  body: Buffer;
  /** Body parsed as JSON, or undefined when it is not JSON. */
  json: any;
  /** One-paragraph description (request line, status, headers, start of body) for assertion messages. */
  describe(): string;
}

export class RegistryError extends Error {
  constructor(message: string, public exchange: Exchange) {
    super(`${message}\n${exchange.describe()}`);
  }
}

function parseJson(b: Buffer): any {
  try {
    return b.length ? JSON.parse(b.toString('utf8')) : undefined;
  } catch {
    return undefined;
  }
}

export class RegistryClient {
  /** @param base e.g. http://127.0.0.1:5000 (no trailing slash) */
  constructor(public readonly base: string) {}

  /** Any request; `path` may be absolute (a Location header) or relative to base. */
  async request(method: string, path: string, init: { headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<Exchange> {
    const url = new URL(path, this.base).toString();
    // (a copy into a plain Uint8Array: TypeScript's fetch types reject Buffer)
    const reqBody = typeof init.body === 'string' || init.body === undefined ? init.body : new Uint8Array(init.body);
    const res = await fetch(url, { method, headers: init.headers, body: reqBody, redirect: 'manual' });
    const body = Buffer.from(await res.arrayBuffer());
    const headers = res.headers;
    return {
      method, url, status: res.status, headers, body, json: parseJson(body),
      describe() {
        const hs = [...headers].map(([k, v]) => `  ${k}: ${v}`).join('\n');
        const text = body.toString('utf8');
        return `${method} ${url}\n-> ${res.status}\n${hs}\n  body: ${text.length > 600 ? text.slice(0, 600) + '…' : text}`;
      },
    };
  }

  private static withDigest(location: string, digest: string): string {
    return location + (location.includes('?') ? '&' : '?') + 'digest=' + encodeURIComponent(digest);
  }

  // ---- blobs

  /** POST /blobs/uploads/ then PUT <location>?digest= with the whole blob. */
  async pushBlob(repo: string, data: Buffer): Promise<Exchange> {
    const digest = sha256(data);
    const start = await this.request('POST', `/v2/${repo}/blobs/uploads/`, { headers: { 'Content-Length': '0' } });
    if (start.status !== 202) throw new RegistryError(`starting an upload for ${digest} gave ${start.status}, not 202`, start);
    const loc = start.headers.get('location');
    if (!loc) throw new RegistryError('upload start has no Location', start);
    const put = await this.request('PUT', RegistryClient.withDigest(loc, digest), {
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(data.length) },
      body: data,
    });
    if (put.status !== 201) throw new RegistryError(`finishing the upload of ${digest} gave ${put.status}, not 201`, put);
    return put;
  }

  /** Single-request monolithic upload: POST /blobs/uploads/?digest= with the body (201, or 202 to fall back). */
  async postBlob(repo: string, data: Buffer): Promise<Exchange> {
    return this.request('POST', `/v2/${repo}/blobs/uploads/?digest=${encodeURIComponent(sha256(data))}`, {
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(data.length) },
      body: data,
    });
  }

  /** POST, then PATCH chunks of `chunkSize` with Content-Range, then PUT ?digest= with no body. */
  async pushBlobChunked(repo: string, data: Buffer, chunkSize: number): Promise<Exchange> {
    const digest = sha256(data);
    const start = await this.request('POST', `/v2/${repo}/blobs/uploads/`, { headers: { 'Content-Length': '0' } });
    if (start.status !== 202) throw new RegistryError(`starting a chunked upload gave ${start.status}`, start);
    let loc = start.headers.get('location')!;
    for (let off = 0; off < data.length; off += chunkSize) {
      const chunk = data.subarray(off, Math.min(off + chunkSize, data.length));
      const p = await this.request('PATCH', loc, {
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${off}-${off + chunk.length - 1}`, 'Content-Length': String(chunk.length) },
        body: chunk,
      });
      if (p.status !== 202) throw new RegistryError(`PATCH of bytes ${off}.. gave ${p.status}, not 202`, p);
      loc = p.headers.get('location') ?? loc;
    }
    const put = await this.request('PUT', RegistryClient.withDigest(loc, digest), { headers: { 'Content-Length': '0' } });
    if (put.status !== 201) throw new RegistryError(`closing the chunked upload gave ${put.status}, not 201`, put);
    return put;
  }

  headBlob(repo: string, digest: string): Promise<Exchange> {
    return this.request('HEAD', `/v2/${repo}/blobs/${digest}`);
  }

  getBlob(repo: string, digest: string): Promise<Exchange> {
    return this.request('GET', `/v2/${repo}/blobs/${digest}`);
  }

  /** Uploads the blob unless HEAD says the repository already has it. */
  async ensureBlob(repo: string, data: Buffer): Promise<void> {
    const h = await this.headBlob(repo, sha256(data));
    if (h.status === 200) return;
    await this.pushBlob(repo, data);
  }

  // ---- manifests

  putManifest(repo: string, reference: string, bytes: Buffer | string, mediaType: string): Promise<Exchange> {
    return this.request('PUT', `/v2/${repo}/manifests/${reference}`, { headers: { 'Content-Type': mediaType }, body: bytes });
  }

  getManifest(repo: string, reference: string, accept: string[] = DEFAULT_ACCEPT): Promise<Exchange> {
    return this.request('GET', `/v2/${repo}/manifests/${reference}`, { headers: { Accept: accept.join(', ') } });
  }

  headManifest(repo: string, reference: string, accept: string[] = DEFAULT_ACCEPT): Promise<Exchange> {
    return this.request('HEAD', `/v2/${repo}/manifests/${reference}`, { headers: { Accept: accept.join(', ') } });
  }

  deleteManifest(repo: string, digest: string): Promise<Exchange> {
    return this.request('DELETE', `/v2/${repo}/manifests/${digest}`);
  }

  /**
   * Pushes a built image / artifact / index: its blobs, then child manifests by digest, then the
   * manifest itself at `reference` (a tag, or its digest by default). Returns the final PUT.
   */
  async push(repo: string, built: Built, reference: string = built.descriptor.digest): Promise<Exchange> {
    for (const data of built.blobs.values()) await this.ensureBlob(repo, data);
    for (const [digest, m] of built.manifests) {
      const r = await this.putManifest(repo, digest, m.bytes, m.mediaType);
      if (r.status !== 201) throw new RegistryError(`pushing child manifest ${digest} gave ${r.status}, not 201`, r);
    }
    const r = await this.putManifest(repo, reference, built.bytes, built.descriptor.mediaType);
    if (r.status !== 201) throw new RegistryError(`pushing manifest ${built.descriptor.digest} as ${reference} gave ${r.status}, not 201`, r);
    return r;
  }

  // ---- discovery

  tags(repo: string, query = ''): Promise<Exchange> {
    return this.request('GET', `/v2/${repo}/tags/list${query}`);
  }

  referrers(repo: string, digest: string, artifactType?: string): Promise<Exchange> {
    const q = artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : '';
    return this.request('GET', `/v2/${repo}/referrers/${digest}${q}`);
  }
}

export const DEFAULT_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];
