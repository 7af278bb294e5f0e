// Garbage collection in-process with a fake clock: what is collected and when (grace period, references
// from any repository, image deletes), dry runs, abandoned uploads, resumed deletions, the deterministic
// races against pushes, and the `wharf gc` command.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, test } from 'node:test';
import { buildServices, openStores, type Stores } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Services } from '../../src/http/services.ts';
import type { BlobStore } from '../../src/ports/blob-store.ts';
import { wharfCli } from '../helpers/server.ts';

const MT = 'application/vnd.oci.image.manifest.v1+json';
const HOUR = 3600_000;
const sha256 = (b: Buffer | string) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const isError = (oci: string, status: number) => (e: any) => e?.spec?.oci === oci && e.status === status;

/**
 * Hooks a test can block on: before bytes are installed (put/commitUpload) and before a blob is
 * deleted. `installing` is called when an install reaches its gate (the reservation is made by then).
 */
interface Gates { install?: Promise<void>; delete?: Promise<void>; installing?: () => void }

function gated(inner: BlobStore, gates: Gates): BlobStore {
  return new Proxy(inner, {
    get(t, k) {
      if (k === 'put' || k === 'commitUpload') return async (...a: unknown[]) => { gates.installing?.(); await gates.install; return (t as any)[k](...a); };
      if (k === 'delete') return async (d: string) => { await gates.delete; return t.delete(d); };
      const v = (t as any)[k];
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
}

function latch(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

interface World {
  dataDir: string;
  stores: Stores;
  s: Services;
  gates: Gates;
  advance(ms: number): void;
  now(): Date;
  blob(repo: string, bytes: Buffer): Promise<string>;
  chunked(repo: string, bytes: Buffer): Promise<string>;
  image(repo: string, layers: Buffer[], tag?: string): Promise<{ digest: string; blobs: string[] }>;
  stored(digest: string): Promise<boolean>;
}

const worlds: World[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) {
    await w.stores.meta.close();
    rmSync(w.dataDir, { recursive: true, force: true });
  }
});

/** A data dir with repositories gc/app and gc/other, a fake clock, grace 1 h and batches of 2. */
async function world(dataDir = mkdtempSync(join(tmpdir(), 'wharf-gc-')), start = Date.now()): Promise<World> {
  const config = loadConfig({ env: {}, flags: { dataDir, gcGraceSeconds: 3600, gcBatchSize: 2, uploadTtlSeconds: 86_400 } });
  let now = start;
  const clock = { now: () => new Date(now) };
  const stores = await openStores(config, { clock });
  const gates: Gates = {};
  const s = buildServices(config, { ...stores, blobs: gated(stores.blobs, gates) }, clock);
  for (const r of ['gc/app', 'gc/other']) if (!(await stores.meta.getRepository(r))) await s.repositories.create(r);
  const w: World = {
    dataDir, stores, s, gates,
    advance: (ms) => { now += ms; },
    now: () => new Date(now),
    async blob(repo, bytes) {
      return (await s.blobs.putWhole(repo, sha256(bytes), Readable.from([bytes]), bytes.length)).digest;
    },
    async chunked(repo, bytes) {
      const up = await s.blobs.startUpload(repo);
      await s.blobs.append(repo, up.id, Readable.from([bytes.subarray(0, 10)]));
      return (await s.blobs.complete(repo, up.id, sha256(bytes), Readable.from([bytes.subarray(10)]))).digest;
    },
    async image(repo, layers, tag) {
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', nonce: randomBytes(8).toString('hex') }));
      const blobs = [await w.blob(repo, config)];
      for (const l of layers) blobs.push((await s.blobs.linked(repo, sha256(l)))?.digest ?? (await w.blob(repo, l)));
      const body = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: MT,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: blobs[0], size: config.length },
        layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(l), size: l.length })),
      }));
      const pushed = await s.manifests.put(repo, tag ?? sha256(body), body, MT);
      return { digest: pushed.digest, blobs };
    },
    stored: async (d) => (await stores.blobs.stat(d)) !== undefined,
  };
  worlds.push(w);
  return w;
}

/** Asserts every digest is linked to `repo` and its bytes are in the BlobStore. */
async function assertKept(w: World, repo: string, digests: string[]): Promise<void> {
  for (const d of digests) {
    assert.ok(await w.s.blobs.linked(repo, d), `${d} is still linked to ${repo}`);
    assert.ok(await w.stored(d), `${d} still has its bytes`);
  }
}

/** Asserts every digest is gone: no link in any repository, no row, no bytes. */
async function assertGone(w: World, digests: string[]): Promise<void> {
  for (const d of digests) {
    for (const r of ['gc/app', 'gc/other']) assert.equal(await w.s.blobs.linked(r, d), undefined, `${d} is unlinked from ${r}`);
    assert.equal(await w.stored(d), false, `${d} has no bytes left`);
  }
}

describe('garbage collection', () => {
  test('collects unreferenced blobs once the grace period is over; never referenced ones; young ones not yet', async () => {
    const w = await world();
    const a = await w.image('gc/app', [randomBytes(300), randomBytes(400)], 'v1');
    const x = randomBytes(1000);
    const dx = await w.blob('gc/app', x);
    w.advance(HOUR / 2);
    const dy = await w.chunked('gc/app', randomBytes(2000));
    const none = await w.s.gc.run();
    assert.deepEqual([none.dryRun, none.blobs, none.bytes, none.uploads, none.resumed, none.batches], [false, 0, 0, 0, 0, 1]);
    w.advance(HOUR / 2 + 1000);
    const first = await w.s.gc.run();
    assert.deepEqual([first.blobs, first.bytes, first.uploads], [1, 1000, 0]);
    await assertGone(w, [dx]);
    await assertKept(w, 'gc/app', [dy, ...a.blobs]);
    await assert.rejects(w.s.blobs.stat('gc/app', dx), isError('BLOB_UNKNOWN', 404));
    w.advance(24 * HOUR);
    const second = await w.s.gc.run();
    assert.deepEqual([second.blobs, second.bytes], [1, 2000]);
    await assertGone(w, [dy]);
    await assertKept(w, 'gc/app', a.blobs);
    assert.equal((await w.s.manifests.get('gc/app', 'v1')).digest, a.digest);
    // A collected blob can be pushed again: a new row, new bytes.
    assert.equal(await w.blob('gc/other', x), dx);
    await assertKept(w, 'gc/other', [dx]);
  });

  test('a manifest in any repository keeps a blob, with all its links', async () => {
    const w = await world();
    const layer = randomBytes(500);
    const img = await w.image('gc/other', [layer]);
    const dl = await w.blob('gc/app', layer); // linked to gc/app, referenced only from gc/other
    w.advance(48 * HOUR);
    assert.equal((await w.s.gc.run()).blobs, 0);
    await assertKept(w, 'gc/app', [dl]);
    await assertKept(w, 'gc/other', img.blobs);
  });

  test('deleting an image makes its own blobs collectable only a grace period later; shared ones stay', async () => {
    const w = await world();
    const shared = randomBytes(700);
    const a = await w.image('gc/app', [shared, randomBytes(100)], 'a');
    const b = await w.image('gc/app', [shared, randomBytes(200)], 'b');
    const c = await w.image('gc/other', [randomBytes(300)], 'c');
    w.advance(48 * HOUR); // everything was pushed long ago
    assert.deepEqual((await w.s.images.batchDelete('gc/app', [{ imageDigest: a.digest }])).failures, []);
    assert.equal((await w.s.gc.run()).blobs, 0, 'not at once');
    w.advance(HOUR - 1000);
    assert.equal((await w.s.gc.run()).blobs, 0, 'not before the grace period is over');
    w.advance(2000);
    const r = await w.s.gc.run();
    assert.equal(r.blobs, 2, 'a\'s config and its own layer');
    await assertGone(w, [a.blobs[0], a.blobs[2]]);
    await assertKept(w, 'gc/app', b.blobs);
    await w.s.manifests.delete('gc/app', b.digest); // the /v2/ DELETE by digest
    await w.s.repositories.delete('gc/other');
    w.advance(HOUR / 2);
    assert.equal((await w.s.gc.run()).blobs, 0);
    w.advance(HOUR / 2 + 1000);
    assert.equal((await w.s.gc.run()).blobs, 5, 'b\'s config, both layers, and c\'s two blobs of the deleted repository');
    await assertGone(w, [...b.blobs, ...c.blobs]);
  });

  test('a dry run reports what would go and deletes nothing; then a real run removes exactly that', async () => {
    const w = await world();
    const loose = [await w.blob('gc/app', randomBytes(10)), await w.blob('gc/app', randomBytes(20)), await w.blob('gc/other', randomBytes(30))];
    const kept = await w.image('gc/app', [randomBytes(40)]);
    const upload = await w.s.blobs.startUpload('gc/app');
    w.advance(48 * HOUR);
    const listed: string[] = [];
    const dry = await w.s.gc.run({ dryRun: true, onBlob: (b) => listed.push(b.digest) });
    assert.deepEqual([dry.dryRun, dry.blobs, dry.bytes, dry.uploads], [true, 3, 60, 1]);
    assert.deepEqual(listed.sort(), [...loose].sort());
    await assertKept(w, 'gc/app', loose.slice(0, 2));
    assert.equal((await w.s.blobs.upload('gc/app', upload.id)).size, 0);
    const removed: string[] = [];
    const real = await w.s.gc.run({ onBlob: (b) => removed.push(b.digest) });
    assert.deepEqual([real.dryRun, real.blobs, real.bytes, real.uploads, real.batches], [false, 3, 60, 1, 3], '5 old blobs in pages of 2');
    assert.deepEqual(removed.sort(), listed);
    await assertGone(w, loose);
    await assertKept(w, 'gc/app', kept.blobs);
    await assert.rejects(w.s.blobs.upload('gc/app', upload.id), isError('BLOB_UPLOAD_UNKNOWN', 404));
  });

  test('finishes deletions a stopped collector left marked: a dead process at once, a live one only after the timeout', async () => {
    const w = await world();
    const [d1, d2] = [await w.blob('gc/app', randomBytes(11)), await w.blob('gc/app', randomBytes(22))];
    w.advance(2 * HOUR);
    await w.stores.meta.markBlobsForDeletion([d1], w.now(), w.now(), `${hostname()}:2147483646:dead`);
    await w.stores.meta.markBlobsForDeletion([d2], w.now(), w.now(), `${hostname()}:${process.ppid}:alive`);
    const r = await w.s.gc.run();
    assert.deepEqual([r.blobs, r.resumed, r.bytes], [1, 1, 11]);
    await assertGone(w, [d1]);
    assert.ok(await w.stored(d2), 'a live collector may still be deleting: its marks are left alone');
    w.advance(2 * HOUR);
    assert.deepEqual([(await w.s.gc.run()).resumed], [1]);
    await assertGone(w, [d2]);
  });

  describe('against pushes (deterministic interleavings)', () => {
    test('a collection between reservation and link fails the push (503) instead of reporting a blob it deleted', async () => {
      const w = await world();
      const bytes = randomBytes(5000);
      const hold = latch();
      w.gates.install = hold.promise;
      const reserved = new Promise<void>((r) => (w.gates.installing = r));
      const push = w.blob('gc/app', bytes); // reserves, then waits before installing
      await reserved; // (not a fixed pause: on a busy machine the reservation may take longer)
      w.advance(2 * HOUR); // the push stalls past the grace period
      assert.equal((await w.s.gc.run()).blobs, 1, 'the reserved row was old and unreferenced');
      hold.open();
      await assert.rejects(push, isError('UNAVAILABLE', 503));
      assert.equal(await w.s.blobs.linked('gc/app', sha256(bytes)), undefined, 'nothing was linked');
      w.gates.install = undefined;
      assert.equal(await w.chunked('gc/app', bytes), sha256(bytes), 'pushing again works');
      await assertKept(w, 'gc/app', [sha256(bytes)]);
    });

    test('an upload completing while a collection deletes the same blob waits for it, then installs fresh bytes', async () => {
      const w = await world();
      const bytes = randomBytes(3000);
      const d = await w.blob('gc/app', bytes);
      w.advance(2 * HOUR);
      const hold = latch();
      w.gates.delete = hold.promise;
      const run = w.s.gc.run();
      while ((await w.stores.meta.listMarkedBlobs(1)).length === 0) await sleep(5);
      let done = false;
      const push = w.chunked('gc/app', bytes).then((x) => { done = true; return x; });
      await sleep(100);
      assert.equal(done, false, 'the push waits while the blob is marked');
      hold.open();
      assert.equal((await run).blobs, 1);
      assert.equal(await push, d);
      await assertKept(w, 'gc/app', [d]);
      assert.deepEqual(await w.stores.meta.listMarkedBlobs(10), []);
    });

    test('a manifest naming a blob the collection has marked fails cleanly with MANIFEST_BLOB_UNKNOWN; one committed first protects it', async () => {
      const w = await world();
      const [early, late] = [randomBytes(100), randomBytes(200)];
      const cfg = Buffer.from('{"os":"linux"}');
      for (const b of [early, late, cfg]) await w.blob('gc/app', b);
      const manifestOf = (l: Buffer) => Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(cfg), size: cfg.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(l), size: l.length }] }));
      w.advance(2 * HOUR);
      await w.s.manifests.put('gc/app', 'early', manifestOf(early), MT); // commits before the collection: protects early and cfg
      const hold = latch();
      w.gates.delete = hold.promise;
      const run = w.s.gc.run();
      while ((await w.stores.meta.listMarkedBlobs(1)).length === 0) await sleep(5);
      await assert.rejects(w.s.manifests.put('gc/app', 'late', manifestOf(late), MT), isError('MANIFEST_BLOB_UNKNOWN', 400));
      hold.open();
      assert.equal((await run).blobs, 1);
      await assertGone(w, [sha256(late)]);
      await assertKept(w, 'gc/app', [sha256(early), sha256(cfg)]);
    });
  });

  test('wharf gc [--dry-run] prints what it (would) remove(s), with counts and bytes', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wharf-gc-cli-'));
    const w = await world(dataDir, Date.now() - 48 * HOUR); // pushed two days ago
    const loose = [await w.blob('gc/app', randomBytes(123)), await w.blob('gc/other', randomBytes(456))];
    const kept = await w.image('gc/app', [randomBytes(789)], 'kept');
    await w.stores.meta.close();
    worlds.splice(worlds.indexOf(w), 1);
    try {
      const dry = await wharfCli(['gc', '--dry-run', '--data-dir', dataDir]);
      assert.equal(dry.code, 0, dry.stderr);
      const lines = dry.stdout.trim().split('\n');
      assert.deepEqual(lines.slice(0, -1).sort(), [`would remove ${loose[0]} 123`, `would remove ${loose[1]} 456`].sort());
      assert.equal(lines.at(-1), 'dry run: would remove 2 blobs (579 bytes) and 0 abandoned uploads; nothing was deleted');
      const real = await wharfCli(['gc', '--data-dir', dataDir]);
      assert.equal(real.code, 0, real.stderr);
      assert.match(real.stdout, /^removed 2 blobs \(579 bytes\) and 0 abandoned uploads in \d+\.\d\d s\n$/);
      for (const d of loose) assert.equal(existsSync(join(dataDir, 'blobs', 'sha256', d.slice(7, 9), d.slice(7))), false);
      for (const d of kept.blobs) assert.equal(existsSync(join(dataDir, 'blobs', 'sha256', d.slice(7, 9), d.slice(7))), true);
      const again = await wharfCli(['gc', '--data-dir', dataDir]);
      assert.match(again.stdout, /^removed 0 blobs \(0 bytes\) and 0 abandoned uploads in /);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
