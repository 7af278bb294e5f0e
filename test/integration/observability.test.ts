// Health, metrics and the access log on an in-process app (real stores, injected requests): garbage
// collection and lifecycle runs counted, per-repository figures following pushes and expiries,
// readiness failing for an unwritable blob store and during shutdown, and the switches that turn
// metrics and the access log off.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, test } from 'node:test';
import pino from 'pino';
import { buildApp, openStores, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import { collectGarbage, runLifecycle } from '../../src/jobs/scheduler.ts';
import { ReadinessProbe } from '../../src/services/readiness.ts';
import { buildImage } from '../helpers/oci-layout.ts';
import { randomBlob, sha256 } from '../helpers/http.ts';
import { randomUUID } from 'node:crypto';

/** The value of one sample line `name{labels}` exactly as exposed, or undefined. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('health and metrics in-process', () => {
  let dir: string;
  let app: App;
  let logged: Record<string, unknown>[];

  async function start(flags: Record<string, unknown> = {}) {
    logged = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => { logged.push(JSON.parse(s)); } });
    app = await buildApp(loadConfig({ env: {}, flags: { dataDir: dir, gcGraceSeconds: 0, metricsCacheSeconds: 0, ...flags } }), { logger });
  }
  const metrics = async () => {
    const r = await app.http.inject({ method: 'GET', url: '/metrics' });
    assert.equal(r.statusCode, 200);
    return r.body;
  };
  async function pushImage(repo: string, tag: string) {
    const built = buildImage({ layers: ['gzip'], layerBytes: 64 });
    for (const [digest, bytes] of built.blobs) await app.services.blobs.putWhole(repo, digest, Readable.from([bytes]));
    await app.services.manifests.put(repo, tag, built.bytes, built.descriptor.mediaType);
    return built;
  }

  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'wharf-obs-')); });
  afterEach(async () => { await app?.close(); rmSync(dir, { recursive: true, force: true }); });

  test('a garbage collection run is counted with the blobs and bytes it removed', async () => {
    await start();
    await app.services.repositories.create('gc/app');
    const loose = randomBlob(1234);
    await app.services.blobs.putWhole('gc/app', sha256(loose), Readable.from([loose]));
    const before = await metrics();
    assert.equal(value(before, 'wharf_gc_runs_total{outcome="success"}'), undefined);
    const report = await collectGarbage(app.services, app.log, app.metrics);
    assert.equal(report.blobs, 1);
    const after = await metrics();
    assert.equal(value(after, 'wharf_gc_runs_total{outcome="success"}'), 1);
    assert.equal(value(after, 'wharf_gc_removed_blobs_total'), 1);
    assert.equal(value(after, 'wharf_gc_removed_bytes_total'), 1234);
  });

  test('a lifecycle pass is counted with the images it expired; the repository gauges follow', async () => {
    await start();
    await app.services.repositories.create('lc/app');
    const first = await pushImage('lc/app', 'one');
    const second = await pushImage('lc/app', 'two');
    const bytesOf = (b: typeof first) => b.config.size + b.layers.reduce((n, l) => n + l.descriptor.size, 0);
    let m = await metrics();
    assert.equal(value(m, `wharf_repository_images{registry_id="${app.config.accountId}",repository="lc/app"}`), 2);
    assert.equal(value(m, `wharf_repository_stored_bytes{registry_id="${app.config.accountId}",repository="lc/app"}`), bytesOf(first) + bytesOf(second));
    await app.services.lifecycle.put('lc/app', JSON.stringify({ rules: [{
      rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' },
    }] }));
    await runLifecycle(app.services, app.log, app.metrics);
    m = await metrics();
    assert.equal(value(m, 'wharf_lifecycle_runs_total{outcome="success"}'), 1);
    assert.equal(value(m, 'wharf_lifecycle_expired_images_total'), 1);
    assert.equal(value(m, `wharf_repository_images{registry_id="${app.config.accountId}",repository="lc/app"}`), 1);
    const left = value(m, `wharf_repository_stored_bytes{registry_id="${app.config.accountId}",repository="lc/app"}`);
    assert.ok(left === bytesOf(first) || left === bytesOf(second), `stored bytes of the one image left, got ${left}`);
  });

  test('/readyz is 503 with a reason when the blob store cannot be written, 200 again once it can', async () => {
    await start();
    assert.equal((await app.http.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
    rmSync(join(dir, 'uploads'), { recursive: true, force: true });
    const r = await app.http.inject({ method: 'GET', url: '/readyz' });
    assert.equal(r.statusCode, 503);
    assert.equal(r.json().status, 'not ready');
    assert.match(r.json().reason, /^blob store is not writable: .*ENOENT/);
    mkdirSync(join(dir, 'uploads'));
    assert.equal((await app.http.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
    assert.equal((await app.http.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  });

  test('readiness fails when the metadata store does not answer, and once shutdown has begun', async () => {
    const config = loadConfig({ env: {}, flags: { dataDir: dir } });
    const stores = await openStores(config);
    const probe = new ReadinessProbe(stores.meta, stores.blobs, randomUUID);
    assert.equal(await probe.check(), undefined);
    probe.shuttingDown();
    assert.equal(await probe.check(), 'shutting down');
    await stores.meta.close();
    const closed = new ReadinessProbe(stores.meta, stores.blobs, randomUUID);
    assert.match(String(await closed.check()), /^metadata store does not answer: /);
    await stores.blobs.close();
    await start(); // (afterEach closes an app)
  });

  test('metrics=false removes /metrics; accessLog=false writes no request lines; request ids stay', async () => {
    await start({ metrics: false, accessLog: false });
    const r = await app.http.inject({ method: 'GET', url: '/metrics' });
    assert.equal(r.statusCode, 404);
    const v2 = await app.http.inject({ method: 'GET', url: '/v2/' });
    assert.match(String(v2.headers['x-amzn-requestid']), /^[0-9a-f-]{36}$/);
    assert.deepEqual(logged.filter((l) => String(l.msg).startsWith('request')), []);
  });

  test('with the access log on, an injected request is one line with its request id', async () => {
    await start();
    const v2 = await app.http.inject({ method: 'GET', url: '/v2/' });
    assert.equal(v2.statusCode, 401);
    const id = String(v2.headers['x-amzn-requestid']);
    // Access lines are written in batches, at most 10 ms after the request ends.
    const until = Date.now() + 5000;
    while (!logged.some((l) => l.requestId === id) && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    const mine = logged.filter((l) => l.requestId === id);
    assert.equal(mine.length, 1);
    assert.deepEqual({ msg: mine[0].msg, method: mine[0].method, path: mine[0].path, status: mine[0].status, principal: mine[0].principal },
      { msg: 'request', method: 'GET', path: '/v2/', status: 401, principal: null });
  });
});
