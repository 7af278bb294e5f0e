// Crash safety: SIGKILL at random moments of blob and manifest pushes never exposes a partial or corrupt blob or manifest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authHeaderFor, startWharf, type RunningWharf } from '../helpers/server.ts';

const REPO = 'crash/app';
const ITERATIONS = Number(process.env.WHARF_TEST_CRASH_ITERATIONS ?? 10);
const MT_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const CHUNK = 64 * 1024;
/** The pushes of one iteration take ~600 ms (slow bodies): most kills land in the middle of them. */
const KILL_WINDOW_MS = 750;
/** How a request cut by the kill fails (anything else, e.g. an unexpected status, is a real failure). */
const CUT = /ECONNRESET|ECONNREFUSED|EPIPE|socket hang up/;

const sha256 = (b: Uint8Array | string) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Res { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

/** One logged-in HTTP request on its own connection; `body` chunks are written with backpressure and `pauseMs` between them. */
function send(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer, pauseMs = 0): Promise<Res> {
  const url = new URL(path, base);
  const authorization = authHeaderFor(url.origin);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...(authorization ? { authorization } : {}), ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    (async () => {
      for (let i = 0; body && i < body.length; i += CHUNK) {
        if (req.destroyed) return;
        if (!req.write(body.subarray(i, i + CHUNK))) await once(req, 'drain');
        if (pauseMs) await sleep(pauseMs * (0.5 + Math.random()));
      }
      req.end();
    })().catch((e) => req.destroy(e as Error));
  });
}

interface BlobRec { digest: string; bytes: Buffer; acked: boolean }
interface ManifestRec { digest: string; body: string; tag: string; blobs: BlobRec[]; acked: boolean }
interface UploadRec { blob: BlobRec; location?: string }

const blobs: BlobRec[] = [];
const manifests: ManifestRec[] = [];
let resumed = 0;

function newBlob(size: number): BlobRec {
  const bytes = randomBytes(size);
  const b = { digest: sha256(bytes), bytes, acked: false };
  blobs.push(b);
  return b;
}

async function pushMonolithic(base: string, b: BlobRec, pauseMs: number): Promise<void> {
  const r = await send(base, 'POST', `/v2/${REPO}/blobs/uploads/?digest=${b.digest}`,
    { 'content-type': 'application/octet-stream', 'content-length': String(b.bytes.length) }, b.bytes, pauseMs);
  assert.equal(r.status, 201, r.body.toString());
  b.acked = true;
}

/** POST, two PATCHes and a PUT with the final chunk. */
async function pushChunked(base: string, u: UploadRec): Promise<void> {
  const start = await send(base, 'POST', `/v2/${REPO}/blobs/uploads/`, { 'content-length': '0' });
  assert.equal(start.status, 202);
  u.location = String(start.headers.location);
  const b = u.blob.bytes;
  const cuts = [0, Math.floor(b.length * 0.4), Math.floor(b.length * 0.8), b.length];
  for (let i = 0; i < 3; i++) {
    const part = b.subarray(cuts[i], cuts[i + 1]);
    const headers = { 'content-type': 'application/octet-stream', 'content-length': String(part.length), 'content-range': `${cuts[i]}-${cuts[i + 1] - 1}` };
    const last = i === 2;
    const url = last ? `${u.location}${u.location.includes('?') ? '&' : '?'}digest=${u.blob.digest}` : u.location;
    const r = await send(base, last ? 'PUT' : 'PATCH', url, headers, part, 12);
    assert.equal(r.status, last ? 201 : 202, r.body.toString());
  }
  u.blob.acked = true;
}

async function pushManifest(base: string, config: BlobRec, layers: BlobRec[], tag: string): Promise<void> {
  const desc = (b: BlobRec, mediaType: string) => ({ mediaType, digest: b.digest, size: b.bytes.length });
  const body = JSON.stringify({
    schemaVersion: 2, mediaType: MT_MANIFEST, config: desc(config, 'application/vnd.oci.image.config.v1+json'),
    layers: layers.map((l) => desc(l, 'application/vnd.oci.image.layer.v1.tar+gzip')),
  });
  const m: ManifestRec = { digest: sha256(body), body, tag, blobs: [config, ...layers], acked: false };
  manifests.push(m);
  const r = await send(base, 'PUT', `/v2/${REPO}/manifests/${tag}`, { 'content-type': MT_MANIFEST }, Buffer.from(body));
  assert.equal(r.status, 201, r.body.toString());
  m.acked = true;
}

/** A blob HEAD says 200 only for the exact bytes; acknowledged pushes must be there. */
async function checkBlob(base: string, b: BlobRec, why: string): Promise<boolean> {
  const head = await send(base, 'HEAD', `/v2/${REPO}/blobs/${b.digest}`);
  if (b.acked) assert.equal(head.status, 200, `${why}: acknowledged blob ${b.digest} is gone`);
  if (head.status === 404) return false;
  assert.equal(head.status, 200, `${why}: HEAD ${b.digest} → ${head.status}`);
  assert.equal(head.headers['content-length'], String(b.bytes.length), `${why}: size of ${b.digest}`);
  const get = await send(base, 'GET', `/v2/${REPO}/blobs/${b.digest}`);
  assert.equal(get.status, 200);
  assert.equal(sha256(get.body), b.digest, `${why}: bytes of ${b.digest} do not match their digest`);
  return true;
}

async function checkManifest(base: string, m: ManifestRec, why: string): Promise<void> {
  const accept = { accept: MT_MANIFEST };
  const byDigest = await send(base, 'GET', `/v2/${REPO}/manifests/${m.digest}`, accept);
  if (m.acked) assert.equal(byDigest.status, 200, `${why}: acknowledged manifest ${m.tag} is gone`);
  const byTag = await send(base, 'GET', `/v2/${REPO}/manifests/${m.tag}`, accept);
  if (byDigest.status === 404) {
    assert.equal(byTag.status, 404, `${why}: tag ${m.tag} points at a manifest that is not there`);
    return;
  }
  assert.equal(byDigest.status, 200);
  assert.equal(byDigest.body.toString(), m.body, `${why}: manifest ${m.tag} bytes`);
  assert.equal(byTag.status, 200, `${why}: manifest ${m.tag} stored without its tag`);
  assert.equal(byTag.headers['docker-content-digest'], m.digest);
  for (const b of m.blobs) assert.ok(await checkBlob(base, b, `${why}, blob of ${m.tag}`), `${why}: manifest ${m.tag} is missing blob ${b.digest}`);
}

/** A session that survived the crash holds a true prefix of what was sent: resuming from its reported size gives the blob. */
async function resumeUpload(base: string, u: UploadRec, why: string): Promise<void> {
  if (u.blob.acked || !u.location) return;
  const st = await send(base, 'GET', u.location);
  if (st.status === 404) return;
  assert.equal(st.status, 204, `${why}: upload status → ${st.status}`);
  const end = Number(String(st.headers.range).split('-')[1]);
  for (const size of end === 0 ? [0, 1] : [end + 1]) {
    assert.ok(size <= u.blob.bytes.length, `${why}: session holds ${size} bytes, more than the blob`);
    const rest = u.blob.bytes.subarray(size);
    const url = `${u.location}${u.location.includes('?') ? '&' : '?'}digest=${u.blob.digest}`;
    const headers: Record<string, string> = { 'content-length': String(rest.length) };
    if (rest.length) headers['content-range'] = `${size}-${u.blob.bytes.length - 1}`;
    const r = await send(base, 'PUT', url, headers, rest);
    if (r.status === 416 && end === 0 && size === 0) continue;
    assert.equal(r.status, 201, `${why}: resuming the upload at ${size}: ${r.status} ${r.body}`);
    u.blob.acked = true;
    resumed++;
    return;
  }
}

/** Every file in blobs/ is a committed blob: its name is the digest of its content. */
function checkBlobTree(dataDir: string, why: string): number {
  const root = join(dataDir, 'blobs');
  let n = 0;
  for (const alg of readdirSync(root)) {
    assert.ok(alg === 'sha256' || alg === 'sha512', `${why}: unexpected blobs/${alg}`);
    for (const prefix of readdirSync(join(root, alg))) {
      assert.ok(statSync(join(root, alg, prefix)).isDirectory(), `${why}: stray file blobs/${alg}/${prefix}`);
      for (const hex of readdirSync(join(root, alg, prefix))) {
        const content: Buffer = readFileSync(join(root, alg, prefix, hex));
        assert.equal(createHash(alg).update(content).digest('hex'), hex, `${why}: blobs/${alg}/${prefix}/${hex} is corrupt or partial`);
        assert.equal(hex.slice(0, 2), prefix, `${why}: ${hex} under the wrong prefix`);
        n++;
      }
    }
  }
  return n;
}

test('SIGKILL at any moment of a push never exposes a partial or corrupt blob or manifest', { timeout: 120_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-crash-'));
  let w: RunningWharf = await startWharf({ dataDir, repositories: [REPO] });
  const started = Date.now();
  try {
    for (let i = 0; i < ITERATIONS; i++) {
      const base = w.url;
      const mono = newBlob(4 * 1024 * 1024 + i);
      const upload: UploadRec = { blob: newBlob(2 * 1024 * 1024 + i) };
      const config = newBlob(200);
      const small = newBlob(1024);
      const ops: Promise<void>[] = [
        pushMonolithic(base, mono, 8),
        pushChunked(base, upload),
        (async () => {
          await Promise.all([pushMonolithic(base, config, 0), pushMonolithic(base, small, 0)]);
          await pushManifest(base, config, [small], `early-${i}`);
        })(),
      ];
      ops.push((async () => {
        await Promise.all(ops);
        await pushManifest(base, config, [mono, upload.blob, small], `late-${i}`);
      })());
      const settled = Promise.allSettled(ops);
      const killAt = Math.floor(Math.random() * KILL_WINDOW_MS);
      await sleep(killAt);
      await w.kill();
      const results = await settled;
      for (const r of results) {
        if (r.status === 'rejected') assert.ok(CUT.test(String((r.reason as NodeJS.ErrnoException).code ?? r.reason)), `a push failed before the kill: ${r.reason}`);
      }
      t.diagnostic(`iteration ${i}: killed at ${killAt} ms; mono/chunked/early/late ${results.map((r) => (r.status === 'fulfilled' ? 'ok' : 'cut')).join('/')}`);
      w = await startWharf({ dataDir });
      const why = `after kill #${i} at ${killAt} ms`;
      assert.deepEqual(readdirSync(join(dataDir, 'tmp')), [], `${why}: tmp/ not emptied at start-up`);
      await resumeUpload(w.url, upload, why);
      for (const b of blobs) await checkBlob(w.url, b, why);
      for (const m of manifests) await checkManifest(w.url, m, why);
      const files = checkBlobTree(dataDir, why);
      assert.ok(files >= blobs.filter((b) => b.acked).length);
    }
    t.diagnostic(`${ITERATIONS} crashes in ${Date.now() - started} ms; ${blobs.filter((b) => b.acked).length}/${blobs.length} blobs and ${manifests.filter((m) => m.acked).length}/${manifests.length} manifests acknowledged; ${resumed} cut uploads resumed`);
  } finally {
    await w.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
