// Garbage-collection benchmark: a data directory with 100,000 blobs of which half no manifest references,
// collected by `wharf gc` (a second process) and by the server's own job, with the push and pull latency
// of small images measured while collection runs, beside the same workload without collection.
// Run: node --import tsx bench/gc.ts [--blobs N] [--blob-size BYTES] [--batch N] [--clients N]
// Prints a table; writes bench/results/<time>-gc.json and .md.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openFsBlobStore } from '../src/adapters/blob-fs/index.ts';
import { openSqlite } from '../src/adapters/metadata-sqlite/index.ts';
import { sha256, type SmallBlob } from './data.ts';
import { pool } from './http.ts';
import { pullBlob, pushSmallImage, type SmallImage } from './oci.ts';
import { ROOT, WHARF_BIN, removeDir, startWharf, type Registry } from './registries.ts';

const REPO = 'bench/gc';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

function option(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const BLOBS = option('blobs', 100_000);
const BLOB_SIZE = option('blob-size', 1024);
const BATCH = option('batch', 500);
const CLIENTS = option('clients', 4);
const PER_MANIFEST = 100;

interface Seeded { referenced: string[]; garbage: string[]; seconds: number }

const blobPath = (dataDir: string, d: string) => join(dataDir, 'blobs', 'sha256', d.slice(7, 9), d.slice(7));

/**
 * Builds the data set through the stores, fast: blob files written straight into the fs store's tree (no
 * fsync), rows with linkBlob (synchronous=NORMAL), every blob touched two days ago; the first half is
 * referenced by manifests of 100 blobs each, the second half by nothing.
 */
async function seed(dataDir: string): Promise<Seeded> {
  const t0 = performance.now();
  const longAgo = new Date(Date.now() - 2 * 86_400_000);
  await (await openFsBlobStore(dataDir)).close();
  const { meta } = openSqlite({ path: join(dataDir, 'wharf.db'), synchronous: 'NORMAL', clock: { now: () => longAgo } });
  await meta.createRepository(REPO, longAgo);
  for (let i = 0; i < 256; i++) mkdirSync(join(dataDir, 'blobs', 'sha256', i.toString(16).padStart(2, '0')), { recursive: true });
  const digests: string[] = [];
  const indices = Array.from({ length: BLOBS }, (_, i) => i);
  await pool(indices, 64, async () => {
    const bytes = randomBytes(BLOB_SIZE);
    const d = sha256(bytes);
    digests.push(d);
    await writeFile(blobPath(dataDir, d), bytes);
  });
  for (const d of digests) await meta.linkBlob(REPO, d, BLOB_SIZE, longAgo);
  const referenced = digests.slice(0, BLOBS / 2);
  for (let i = 0; i < referenced.length; i += PER_MANIFEST) {
    const blobDigests = referenced.slice(i, i + PER_MANIFEST);
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, layers: blobDigests }));
    const r = await meta.putManifest(REPO, { digest: sha256(bytes), mediaType: OCI_MANIFEST, size: bytes.length, bytes, blobDigests, childDigests: [] },
      `m${i / PER_MANIFEST}`, longAgo, () => {});
    if (!r.ok) throw new Error(`seeding manifest ${i}: ${JSON.stringify(r)}`);
  }
  await meta.close();
  return { referenced, garbage: digests.slice(BLOBS / 2), seconds: (performance.now() - t0) / 1000 };
}

interface Sample { op: 'push' | 'pull'; start: number; ms: number }

/** CLIENTS loops of: push a small image (config + 4 KiB layer, monolithic), pull a random pushed one. */
function startWorkload(reg: Registry): { stop(): Promise<Sample[]> } {
  const samples: Sample[] = [];
  const pushed: SmallImage[] = [];
  let running = true;
  let n = 0;
  const loop = async (c: number) => {
    while (running) {
      const layer: SmallBlob = (() => { const data = randomBytes(4096); return { data, digest: sha256(data) }; })();
      let start = performance.now();
      pushed.push(await pushSmallImage(reg.client, REPO, layer, `w${c}-${n++}`));
      samples.push({ op: 'push', start, ms: performance.now() - start });
      const img = pushed[Math.floor(Math.random() * pushed.length)];
      start = performance.now();
      const m = JSON.parse(img.manifest.toString()) as { config: { digest: string }; layers: { digest: string }[] };
      await reg.client.request('GET', `/v2/${REPO}/manifests/${img.digest}`, { headers: { Accept: OCI_MANIFEST }, expect: [200], discard: true });
      for (const d of [m.config.digest, ...m.layers.map((l) => l.digest)]) await pullBlob(reg.client, REPO, d);
      samples.push({ op: 'pull', start, ms: performance.now() - start });
    }
  };
  const all = Promise.all(Array.from({ length: CLIENTS }, (_, c) => loop(c)));
  return { async stop() { running = false; await all; return samples; } };
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

interface Scenario {
  name: string;
  gcSeconds?: number;
  removed?: number;
  windowSeconds: number;
  pushes: number; pushP50: number; pushP99: number;
  pulls: number; pullP50: number; pullP99: number;
}

function summarize(name: string, samples: Sample[], from: number, to: number, gc?: { seconds: number; removed: number }): Scenario {
  const inWindow = samples.filter((s) => s.start >= from && s.start <= to);
  const of = (op: Sample['op']) => inWindow.filter((s) => s.op === op).map((s) => s.ms);
  const push = of('push');
  const pull = of('pull');
  return {
    name, gcSeconds: gc?.seconds, removed: gc?.removed, windowSeconds: (to - from) / 1000,
    pushes: push.length, pushP50: quantile(push, 0.5), pushP99: quantile(push, 0.99),
    pulls: pull.length, pullP50: quantile(pull, 0.5), pullP99: quantile(pull, 0.99),
  };
}

/** Starts Wharf on a copy of the seeded data directory, with the given environment. */
async function serverOn(seedDir: string, phase: string, env: Record<string, string>): Promise<Registry> {
  const work = join(WORK, phase);
  mkdirSync(work, { recursive: true });
  await promisify(execFile)('cp', ['-a', seedDir, join(work, 'data')]);
  for (const k of Object.keys(process.env)) if (k.startsWith('WHARF_GC_') || k === 'WHARF_LOG_LEVEL') delete process.env[k];
  Object.assign(process.env, { WHARF_GC_BATCH_SIZE: String(BATCH) }, env);
  return startWharf(work, join(work, 'wharf.log'), []);
}

/** Every referenced blob still has its bytes; every garbage blob lost them. */
function checkData(dataDir: string, s: Seeded): string {
  const lost = s.referenced.filter((d) => !existsSync(blobPath(dataDir, d))).length;
  const left = s.garbage.filter((d) => existsSync(blobPath(dataDir, d))).length;
  if (lost > 0 || left > 0) throw new Error(`after collection: ${lost} referenced blobs lost their bytes, ${left} garbage blobs kept theirs`);
  return `all ${s.referenced.length} referenced blobs intact, all ${s.garbage.length} garbage blobs gone`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const WORK = mkdtempSync(join(tmpdir(), 'wharf-bench-gc-'));

async function main(): Promise<void> {
  const seedDir = join(WORK, 'seed');
  mkdirSync(seedDir);
  console.log(`seeding ${BLOBS} blobs of ${BLOB_SIZE} bytes (half referenced) in ${seedDir} ...`);
  const seeded = await seed(seedDir);
  console.log(`seeded in ${seeded.seconds.toFixed(1)} s`);
  const results: Scenario[] = [];
  const notes: string[] = [];

  // 1. `wharf gc` in a second process while the server serves the workload.
  {
    const reg = await serverOn(seedDir, 'cli', { WHARF_GC_INTERVAL_SECONDS: '0' });
    const w = startWorkload(reg);
    await sleep(1000);
    const from = performance.now();
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn(WHARF_BIN, ['gc', '--data-dir', reg.dataDir], { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
      let o = '';
      p.stdout.on('data', (d) => (o += d));
      p.on('close', (code) => (code === 0 ? resolve(o) : reject(new Error(`wharf gc exited ${code}: ${o}`))));
    });
    const to = performance.now();
    const samples = await w.stop();
    // The collection itself is the end of the process's life: the time it printed (start-up excluded).
    const m = /^removed (\d+) blobs .* in ([\d.]+) s/.exec(out);
    if (!m) throw new Error(`unexpected wharf gc output: ${out}`);
    const seconds = Number(m[2]);
    results.push(summarize('`wharf gc` (second process)', samples, to - seconds * 1000, to, { seconds, removed: Number(m[1]) }));
    notes.push(`wharf gc printed: ${out.trim()} (process wall time ${((to - from) / 1000).toFixed(1)} s)`, `cli: ${checkData(reg.dataDir, seeded)}`);
    await reg.stop();
  }

  // 2. The server's own job (first run 3 s after start), same workload.
  {
    const reg = await serverOn(seedDir, 'job', { WHARF_GC_INTERVAL_SECONDS: '3', WHARF_LOG_LEVEL: 'info' });
    const w = startWorkload(reg);
    let line: { blobs: number; durationMs: number } | undefined;
    while (!line) {
      await sleep(50);
      const l = readFileSync(reg.logFile, 'utf8').split('\n').find((x) => x.includes('"garbage collection finished"'));
      if (l) line = JSON.parse(l);
    }
    const to = performance.now();
    const samples = await w.stop();
    results.push(summarize('gc job inside `wharf serve`', samples, to - line.durationMs, to, { seconds: line.durationMs / 1000, removed: line.blobs }));
    notes.push(`job: ${checkData(reg.dataDir, seeded)}`);
    await reg.stop();
  }

  // 3. The same workload, no collection, for as long as the longer collection took.
  {
    const reg = await serverOn(seedDir, 'none', { WHARF_GC_INTERVAL_SECONDS: '0' });
    const w = startWorkload(reg);
    await sleep(1000);
    const from = performance.now();
    await sleep(Math.max(5, ...results.map((r) => r.windowSeconds)) * 1000);
    const to = performance.now();
    results.unshift(summarize('no collection', await w.stop(), from, to));
    await reg.stop();
  }

  const f = (x: number | undefined, d = 1) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d));
  const header = '| scenario | collection time (s) | blobs removed | removed/s | pushes | push p50 (ms) | push p99 (ms) | pulls | pull p50 (ms) | pull p99 (ms) |';
  const rows = results.map((r) => `| ${r.name} | ${f(r.gcSeconds)} | ${r.removed ?? '–'} | ${r.gcSeconds ? f(r.removed! / r.gcSeconds, 0) : '–'} | ${r.pushes} | ${f(r.pushP50)} | ${f(r.pushP99)} | ${r.pulls} | ${f(r.pullP50)} | ${f(r.pullP99)} |`);
  const table = [header, '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |', ...rows].join('\n');
  const setup = `${BLOBS} blobs of ${BLOB_SIZE} B (${BLOBS / 2} referenced by ${BLOBS / 2 / PER_MANIFEST} manifests, ${BLOBS / 2} unreferenced, all touched 2 days ago), gcBatchSize ${BATCH}, ${CLIENTS} clients; ${cpus().length} × ${cpus()[0]?.model.trim()}, node ${process.version}`;
  console.log(`\n${setup}\n\n${table}\n\n${notes.join('\n')}`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${stamp}-gc.json`), JSON.stringify({ setup, seedSeconds: seeded.seconds, results, notes }, null, 2));
  writeFileSync(join(dir, `${stamp}-gc.md`), `# Garbage collection benchmark\n\n${setup}\n\n${table}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`);
  console.log(`\nwrote bench/results/${stamp}-gc.{json,md}`);
}

try {
  await main();
} finally {
  if (!process.argv.includes('--keep')) removeDir(WORK);
}
