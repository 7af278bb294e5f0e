// Minimal keep-alive HTTP client (node:http) for the benchmark, with one place to add an Authorization header.
import http from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';

export type Body = Buffer | string | (() => AsyncIterable<Buffer>);

export interface RequestOptions {
  headers?: Record<string, string | number>;
  body?: Body;
  /** Accepted statuses; anything else throws HttpError. Default: any 2xx. */
  expect?: number[];
  /** Count response bytes and throw them away instead of buffering them. */
  discard?: boolean;
  /** Socket idle timeout in ms (default 120 s): a stalled registry fails the request instead of hanging the run. */
  timeoutMs?: number;
}

export interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  bytes: number;
  url: string;
}

/** A request that got an unexpected status, or failed on the wire; the message says what was sent and what came back. */
export class HttpError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number | null,
    readonly responseBody: string,
    detail = '',
  ) {
    super(`${method} ${url} -> ${status === null ? 'no response' : status}${detail ? ` (${detail})` : ''}${responseBody ? `: ${responseBody}` : ''}`);
  }
}

export class Client {
  readonly agent: http.Agent;
  /** The one place credentials go: set it and every request, hey run and skopeo call made through this client carries it. */
  authorization: string | undefined;
  /** user:password for skopeo's --src-creds/--dest-creds, once the registry requires login. */
  credentials: string | undefined;

  constructor(readonly baseUrl: string, maxSockets = 64) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  /** Headers every request needs (today only Authorization, when set). */
  authHeaders(): Record<string, string> {
    return this.authorization ? { Authorization: this.authorization } : {};
  }

  resolve(pathOrUrl: string): string {
    return new URL(pathOrUrl, this.baseUrl).toString();
  }

  async request(method: string, pathOrUrl: string, opts: RequestOptions = {}): Promise<Response> {
    const url = this.resolve(pathOrUrl);
    const headers: Record<string, string | number> = { ...this.authHeaders(), ...(opts.headers ?? {}) };
    const body = opts.body;
    if (typeof body === 'string' || Buffer.isBuffer(body)) headers['Content-Length'] ??= Buffer.byteLength(body);
    else if (body === undefined && (method === 'PUT' || method === 'POST' || method === 'PATCH')) headers['Content-Length'] ??= 0;

    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(url, { method, headers, agent: this.agent }, resolve);
      req.setTimeout(opts.timeoutMs ?? 120_000, () => req.destroy(new Error(`no activity for ${opts.timeoutMs ?? 120_000} ms`)));
      req.on('error', (e) => reject(new HttpError(method, url, null, '', e.message)));
      if (typeof body === 'function') {
        // A response may arrive before the body is fully sent (e.g. an early 4xx): resolve() wins then.
        pipeline(Readable.from(body(), { objectMode: false }), req).catch((e) => reject(new HttpError(method, url, null, '', `sending body: ${e.message}`)));
      } else {
        req.end(body);
      }
    });

    let bytes = 0;
    const chunks: Buffer[] = [];
    try {
      for await (const c of res as AsyncIterable<Buffer>) {
        bytes += c.length;
        if (!opts.discard) chunks.push(c);
      }
    } catch (e) {
      throw new HttpError(method, url, res.statusCode ?? null, '', `reading response: ${(e as Error).message}`);
    }
    const out: Response = { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), bytes, url };
    const ok = opts.expect ? opts.expect.includes(out.status) : out.status >= 200 && out.status < 300;
    if (!ok) throw new HttpError(method, url, out.status, out.body.toString('utf8').slice(0, 600), opts.expect ? `expected ${opts.expect.join('/')}` : '');
    return out;
  }

  /** The Location header of a response, resolved against the base URL; throws when missing. */
  location(res: Response, method: string): string {
    const loc = res.headers.location;
    if (!loc) throw new HttpError(method, res.url, res.status, '', 'no Location header');
    return this.resolve(loc);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Appends a query parameter to a URL that may already have a query (upload Locations usually do). */
export function withParam(url: string, key: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(key, value);
  return u.toString();
}

/** The target of a `Link: <...>; rel="next"` header, or undefined. */
export function nextLink(res: Response): string | undefined {
  const link = res.headers.link;
  if (!link) return undefined;
  const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(Array.isArray(link) ? link.join(',') : link);
  return m ? m[1] : undefined;
}

/** Runs fn over items with at most `concurrency` in flight; rejects on the first failure. */
export async function pool<T>(items: T[], concurrency: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < items.length) {
      const i = next++;
      try {
        await fn(items[i], i);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failed !== undefined) throw failed;
}
