// Garbage collection never deletes a blob a push still needs: against a real server whose collection
// runs every second (grace 0, batches of 8) while `wharf gc` runs in a loop from other processes on the
// same data directory, 8 workers push images made from a shared pool of layers (skipping layers a HEAD
// finds, re-uploading others), drop images and pull. With no grace period every blob between its upload
// and its manifest is fair game, so the races (MANIFEST_BLOB_UNKNOWN, 503 on upload) happen hundreds of
// times; an image reported pushed (201) and not dropped must still pull with every byte intact.
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { test } from 'node:test';
import { authedFetch as fetch, startWharf, wharfCli, type RunningWharf } from '../helpers/server.ts';

const REPOS = ['gcload/a', 'gcload/b'];
const WORKERS = 8;
/** The run lasts at least this long, and longer (up to MAX_RUN_MS) until the traffic proves enough. */
const RUN_MS = 18_000;
/** A busy machine pushes less per second: the run goes on until `enough()`, but never past this. */
const MAX_RUN_MS = 90_000;
const MT = 'application/vnd.oci.image.manifest.v1+json';
const sha256 = (b: Uint8Array | string) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const pick = <T>(xs: readonly T[]): T => xs[randomInt(xs.length)];

interface Blob { digest: string; bytes: Buffer }
interface Image { repo: string; digest: string; manifest: Buffer; blobs: Blob[] }

const blobOf = (bytes: Buffer): Blob => ({ digest: sha256(bytes), bytes });
/** Layers shared by every worker and both repositories: the ones that become garbage and come back. */
const POOL = Array.from({ length: 40 }, () => blobOf(randomBytes(randomInt(1024, 48 * 1024))));
/** Images a worker keeps at most: few references, so pool layers keep becoming garbage and coming back. */
const KEEP = 3;

const stats = { pushed: 0, dropped: 0, pulls: 0, headSkips: 0, manifestRetries: 0, blob503: 0, cliRuns: 0, cliBlobs: 0 };
const violations: string[] = [];

/** A response body as a Buffer, and the status. */
async function call(url: string, init: RequestInit = {}): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(url, init);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

function unexpected(what: string, r: { status: number; body: Buffer }): never {
  throw new Error(`${what}: HTTP ${r.status} ${r.body.toString('utf8').slice(0, 300)}`);
}

/** Uploads one blob in a random way (single POST, POST + PUT, POST + PATCH + PUT); false on 503 (collected meanwhile). */
async function upload(base: string, repo: string, b: Blob): Promise<boolean> {
  const mode = randomInt(3);
  let r;
  if (mode === 0) {
    r = await call(`${base}/v2/${repo}/blobs/uploads/?digest=${b.digest}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(b.bytes) });
  } else {
    const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    await start.arrayBuffer();
    if (start.status !== 202) unexpected(`POST upload ${repo}`, { status: start.status, body: Buffer.alloc(0) });
    let loc = new URL(start.headers.get('location')!, base);
    let rest = b.bytes;
    if (mode === 2) {
      const half = b.bytes.subarray(0, b.bytes.length >> 1);
      const p = await fetch(loc, { method: 'PATCH', headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${half.length - 1}` }, body: new Uint8Array(half) });
      await p.arrayBuffer();
      if (p.status !== 202) unexpected(`PATCH ${repo}`, { status: p.status, body: Buffer.alloc(0) });
      loc = new URL(p.headers.get('location')!, base);
      rest = b.bytes.subarray(half.length);
    }
    loc.searchParams.set('digest', b.digest);
    r = await call(loc.toString(), { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(rest) });
  }
  if (r.status === 201) return true;
  if (r.status === 503 && r.body.toString().includes('UNAVAILABLE')) { stats.blob503++; return false; }
  unexpected(`upload ${b.digest} to ${repo}`, r);
}

/** Pushes an image like a client does; returns it once the manifest PUT answered 201, else undefined. */
async function pushImage(base: string, worker: number, n: number): Promise<Image | undefined> {
  const repo = pick(REPOS);
  const layers = [...new Set(Array.from({ length: randomInt(2, 4) }, () => pick(POOL)))];
  if (randomInt(3) === 0) layers.push(blobOf(randomBytes(randomInt(512, 8192))));
  const config = blobOf(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', worker, n, nonce: randomBytes(8).toString('hex') })));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MT,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.bytes.length },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.bytes.length })),
  }));
  for (let attempt = 0; attempt < 5; attempt++) {
    for (const b of [config, ...layers]) {
      if (attempt === 0 && POOL.includes(b) && randomInt(10) < 7) {
        const head = await call(`${base}/v2/${repo}/blobs/${b.digest}`, { method: 'HEAD' });
        if (head.status === 200) { stats.headSkips++; continue; }
      }
      while (!(await upload(base, repo, b)));
    }
    const put = await call(`${base}/v2/${repo}/manifests/w${worker}-${n}`, { method: 'PUT', headers: { 'content-type': MT }, body: new Uint8Array(manifest) });
    if (put.status === 201) return { repo, digest: sha256(manifest), manifest, blobs: [config, ...layers] };
    if (put.status === 400 && put.body.toString().includes('MANIFEST_BLOB_UNKNOWN')) { stats.manifestRetries++; continue; }
    unexpected(`PUT manifest ${repo}:w${worker}-${n}`, put);
  }
  return undefined;
}

/** Pulls an image by digest and checks the manifest bytes and every blob's bytes; records what is wrong. */
async function verify(base: string, img: Image, when: string): Promise<void> {
  stats.pulls++;
  const m = await call(`${base}/v2/${img.repo}/manifests/${img.digest}`, { headers: { accept: MT } });
  if (m.status !== 200 || !m.body.equals(img.manifest)) violations.push(`${when}: manifest ${img.repo}@${img.digest}: HTTP ${m.status}`);
  for (const b of img.blobs) {
    const r = await call(`${base}/v2/${img.repo}/blobs/${b.digest}`);
    if (r.status !== 200) violations.push(`${when}: ${img.repo} lost blob ${b.digest} of ${img.digest}: HTTP ${r.status} ${r.body.toString().slice(0, 200)}`);
    else if (sha256(r.body) !== b.digest || r.body.length !== b.bytes.length) violations.push(`${when}: ${img.repo} blob ${b.digest} has wrong bytes (${r.body.length})`);
  }
}

async function worker(w: RunningWharf, i: number, running: () => boolean, kept: Image[], dropped: Image[]): Promise<void> {
  const mine: Image[] = [];
  for (let n = 0; running(); n++) {
    const img = await pushImage(w.url, i, n);
    if (img) { stats.pushed++; mine.push(img); kept.push(img); }
    while (mine.length > KEEP) {
      const victim = mine.splice(randomInt(mine.length), 1)[0];
      const del = await call(`${w.url}/v2/${victim.repo}/manifests/${victim.digest}`, { method: 'DELETE' });
      if (del.status !== 202) unexpected(`DELETE ${victim.repo}@${victim.digest}`, del);
      kept.splice(kept.indexOf(victim), 1);
      dropped.push(victim);
      stats.dropped++;
    }
    if (mine.length > 0 && randomInt(3) === 0) await verify(w.url, pick(mine), 'during the run');
  }
}

async function cliLoop(w: RunningWharf, running: () => boolean): Promise<void> {
  do {
    const r = await wharfCli(['gc', '--data-dir', w.dataDir], { WHARF_GC_GRACE_SECONDS: '0', WHARF_GC_BATCH_SIZE: '8' });
    if (r.code !== 0) throw new Error(`wharf gc failed (${r.code}): ${r.stderr}`);
    const m = /^removed (\d+) blobs? /.exec(r.stdout);
    assert.ok(m, `wharf gc printed: ${r.stdout}`);
    stats.cliRuns++;
    stats.cliBlobs += Number(m[1]);
  } while (running());
}

/** The server's "garbage collection finished" log lines so far. */
function serverRuns(w: RunningWharf): { blobs: number }[] {
  return w.output().split('\n').filter((l) => l.includes('"garbage collection finished"')).map((l) => JSON.parse(l));
}

/** Whether the traffic so far is what the test's last assertions ask for (else it proves little). */
function enough(w: RunningWharf): boolean {
  const runs = serverRuns(w);
  return stats.pushed > 30 && stats.dropped > 10 && runs.length >= 5 && stats.cliRuns >= 3
    && runs.reduce((n, l) => n + l.blobs, 0) + stats.cliBlobs > 20 && stats.manifestRetries + stats.blob503 > 0;
}

test('collection in a loop never takes a blob from an image reported pushed and kept', { timeout: 180_000 }, async (t) => {
  const w = await startWharf({
    repositories: REPOS,
    env: { WHARF_GC_GRACE_SECONDS: '0', WHARF_GC_INTERVAL_SECONDS: '1', WHARF_GC_BATCH_SIZE: '8', WHARF_LOG_LEVEL: 'info' },
  });
  try {
    const kept: Image[] = [];
    const dropped: Image[] = [];
    const started = Date.now();
    // Checked a few times a second, not per request: the log is parsed each time.
    let run = true;
    const check = setInterval(() => {
      const ms = Date.now() - started;
      if (ms >= MAX_RUN_MS || (ms >= RUN_MS && enough(w))) run = false;
    }, 250);
    try {
      await Promise.all([cliLoop(w, () => run), ...Array.from({ length: WORKERS }, (_, i) => worker(w, i, () => run, kept, dropped))]);
    } finally {
      clearInterval(check);
    }
    const runMs = Date.now() - started;
    // Let both collectors see everything idle past the grace period, then check every kept image.
    await new Promise((r) => setTimeout(r, 2500));
    await cliLoop(w, () => false);
    for (const img of kept) await verify(w.url, img, 'after the run');
    for (const img of dropped.slice(0, 50)) {
      const r = await call(`${w.url}/v2/${img.repo}/manifests/${img.digest}`, { headers: { accept: MT } });
      assert.equal(r.status, 404, `dropped image ${img.digest} is gone`);
    }
    const finished = serverRuns(w);
    const serverBlobs = finished.reduce((n, l) => n + l.blobs, 0);
    t.diagnostic(JSON.stringify({ ...stats, kept: kept.length, serverRuns: finished.length, serverBlobs, runMs }));
    assert.deepEqual(violations, []);
    assert.doesNotMatch(w.output(), /background job failed|unhandled error/);
    assert.ok(stats.pushed > 30 && stats.dropped > 10, `enough traffic: ${JSON.stringify(stats)}`);
    assert.ok(finished.length >= 5 && stats.cliRuns >= 3, `collections ran in the server (${finished.length}) and from the CLI (${stats.cliRuns})`);
    assert.ok(serverBlobs + stats.cliBlobs > 20, 'the collections removed blobs of dropped images');
    assert.ok(stats.manifestRetries + stats.blob503 > 0, 'collections raced with pushes (else this test proves little)');
  } finally {
    await w.stop();
  }
});
