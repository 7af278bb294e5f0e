// Memory stays flat: a 1 GiB blob streams through a real Wharf (monolithic push, chunked push, pulls) while its RSS barely moves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { authHeaderFor, startWharf } from '../helpers/server.ts';

/** WHARF_TEST_MEMORY_BYTES shrinks the blob for quick local runs; the default is the real 1 GiB. */
const TOTAL = Number(process.env.WHARF_TEST_MEMORY_BYTES ?? 1024 ** 3);
const MAX_GROWTH = 64 * 1024 * 1024;
const REPO = 'memory/app';
const PATTERN = 1024 * 1024;
/** Chunked uploads send this much per PATCH (several PATCHes, the last bytes in the closing PUT). */
const PART = Math.max(1, Math.ceil(TOTAL / 6));

/** 1 MiB of pseudo-random bytes derived from `seed`; a blob is this pattern repeated, never held whole. */
function pattern(seed: string): Buffer {
  const out = Buffer.alloc(PATTERN);
  for (let i = 0; i < PATTERN; i += 32) createHash('sha256').update(`${seed}:${i}`).digest().copy(out, i);
  return out;
}

/** Bytes [start, end) of the infinite repetition of `pat`, as a sequence of views (no copies). */
function* bytesOf(pat: Buffer, start: number, end: number): Generator<Buffer> {
  for (let p = start; p < end;) {
    const off = p % pat.length;
    const n = Math.min(pat.length - off, end - p);
    yield pat.subarray(off, off + n);
    p += n;
  }
}

function digestOf(pat: Buffer, size: number): string {
  const h = createHash('sha256');
  for (const b of bytesOf(pat, 0, size)) h.update(b);
  return 'sha256:' + h.digest('hex');
}

interface Res { status: number; headers: IncomingMessage['headers']; text: string }

/** The test server's login header, for node:http requests. */
function auth(url: URL): Record<string, string> {
  const authorization = authHeaderFor(url.origin);
  return authorization ? { authorization } : {};
}

/** A logged-in request whose body streams from `body` with backpressure; the response body is read as text. */
function send(base: string, method: string, path: string, headers: Record<string, string>, body?: Iterable<Buffer>): Promise<Res> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...auth(url), ...headers } }, async (res) => {
      let text = '';
      for await (const c of res) text += c;
      resolve({ status: res.statusCode ?? 0, headers: res.headers, text });
    });
    req.on('error', reject);
    (async () => {
      for (const b of body ?? []) if (!req.write(b)) await once(req, 'drain');
      req.end();
    })().catch(reject);
  });
}

/** Streams a blob down and hashes it on the fly. */
function pull(base: string, digest: string): Promise<{ digest: string; size: number }> {
  const url = new URL(`/v2/${REPO}/blobs/${digest}`, base);
  return new Promise((resolve, reject) => {
    request(url, { headers: auth(url) }, async (res) => {
      try {
        assert.equal(res.statusCode, 200);
        const h = createHash('sha256');
        let size = 0;
        for await (const c of res) { h.update(c as Buffer); size += (c as Buffer).length; }
        resolve({ digest: 'sha256:' + h.digest('hex'), size });
      } catch (e) { reject(e); }
    }).on('error', reject).end();
  });
}

async function pushMonolithic(base: string, pat: Buffer, digest: string, size: number): Promise<void> {
  const r = await send(base, 'POST', `/v2/${REPO}/blobs/uploads/?digest=${digest}`,
    { 'content-type': 'application/octet-stream', 'content-length': String(size) }, bytesOf(pat, 0, size));
  assert.equal(r.status, 201, r.text);
}

async function pushChunked(base: string, pat: Buffer, digest: string, size: number, part: number): Promise<void> {
  const start = await send(base, 'POST', `/v2/${REPO}/blobs/uploads/`, { 'content-length': '0' });
  assert.equal(start.status, 202, start.text);
  const location = String(start.headers.location);
  for (let p = 0; p < size; p += part) {
    const end = Math.min(size, p + part);
    const last = end === size;
    const headers = { 'content-type': 'application/octet-stream', 'content-length': String(end - p), 'content-range': `${p}-${end - 1}` };
    const url = last ? `${location}${location.includes('?') ? '&' : '?'}digest=${digest}` : location;
    const r = await send(base, last ? 'PUT' : 'PATCH', url, headers, bytesOf(pat, p, end));
    assert.equal(r.status, last ? 201 : 202, r.text);
  }
}

/** Samples VmRSS of `pid` every 50 ms. */
function sampleRss(pid: number) {
  const read = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
  let peak = 0;
  const timer = setInterval(() => { peak = Math.max(peak, read()); }, 50);
  return {
    read,
    /** Peak RSS since the last call (including now). */
    takePeak(): number { const p = Math.max(peak, read()); peak = 0; return p; },
    stop: () => clearInterval(timer),
  };
}

const MiB = (n: number) => (n / 1024 / 1024).toFixed(1);

test(`streaming a ${MiB(TOTAL)} MiB blob in and out keeps the server's RSS within 64 MiB of its baseline`, { timeout: 900_000 }, async (t) => {
  const w = await startWharf({ repositories: [REPO] });
  const rss = sampleRss(w.proc.pid!);
  try {
    // Warm-up: every code path once with a small blob, so that lazy loading and JIT are in the baseline.
    const warm = pattern('warm-up');
    const warmSize = 4 * PATTERN + 123;
    await pushMonolithic(w.url, warm, digestOf(warm, warmSize), warmSize);
    const warm2 = pattern('warm-up-2');
    await pushChunked(w.url, warm2, digestOf(warm2, warmSize), warmSize, PATTERN);
    assert.equal((await pull(w.url, digestOf(warm, warmSize))).size, warmSize);
    await new Promise((r) => setTimeout(r, 500));
    const samples: number[] = [];
    for (let i = 0; i < 10; i++) { samples.push(rss.read()); await new Promise((r) => setTimeout(r, 50)); }
    const baseline = samples.sort((a, b) => a - b)[5];
    rss.takePeak();
    t.diagnostic(`baseline RSS ${MiB(baseline)} MiB`);

    const mono = pattern('monolithic');
    const chunked = pattern('chunked');
    const [monoDigest, chunkedDigest] = [digestOf(mono, TOTAL), digestOf(chunked, TOTAL)];
    const phases: [string, () => Promise<void>][] = [
      ['monolithic push', () => pushMonolithic(w.url, mono, monoDigest, TOTAL)],
      [`chunked push (${Math.ceil(TOTAL / PART)} parts)`, () => pushChunked(w.url, chunked, chunkedDigest, TOTAL, PART)],
      ['pull of the monolithic blob', async () => assert.deepEqual(await pull(w.url, monoDigest), { digest: monoDigest, size: TOTAL })],
      ['pull of the chunked blob', async () => assert.deepEqual(await pull(w.url, chunkedDigest), { digest: chunkedDigest, size: TOTAL })],
    ];
    const growth: string[] = [];
    for (const [name, run] of phases) {
      const t0 = Date.now();
      await run();
      const ms = Date.now() - t0;
      const peak = rss.takePeak();
      t.diagnostic(`${name}: ${(ms / 1000).toFixed(1)} s (${MiB(TOTAL / (ms / 1000))} MiB/s), peak RSS +${MiB(peak - baseline)} MiB`);
      if (peak - baseline >= MAX_GROWTH) growth.push(`${name}: RSS grew ${MiB(peak - baseline)} MiB over the ${MiB(baseline)} MiB baseline`);
    }
    assert.deepEqual(growth, [], 'server memory must not grow with the blob size');
  } finally {
    rss.stop();
    await w.stop();
  }
});
