// Lifecycle runs and previews in-process with a fake clock, so age rules (sinceImagePushed/Pulled/
// Transitioned) can be tested on real services: what a run expires or archives, that a preview shows
// exactly what the run then does, index children, lastEvaluatedAt, the preview's states, and the log.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, test } from 'node:test';
import pino from 'pino';
import { buildServices, openStores, type Stores } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { LifecycleAction } from '../../src/domain/lifecycle/types.ts';
import type { Services } from '../../src/http/services.ts';
import { lifecycleLogger } from '../../src/jobs/scheduler.ts';
import { IMAGE_CHANGED } from '../../src/services/archive.ts';
import { LifecycleService, PREVIEW_STALE_MS, PREVIEW_TTL_MS } from '../../src/services/lifecycle.ts';
import { buildImage, buildIndex, type Built, type BuiltImage } from '../helpers/oci-layout.ts';

const DAY = 24 * 3600_000;
const T0 = Date.parse('2025-03-01T00:00:00Z');
const REPO = 'lc/app';

const policy = (...rules: object[]) => JSON.stringify({ rules });
const rule = (rulePriority: number, selection: object, action: object = { type: 'expire' }) => ({ rulePriority, selection, action });
/** The comparable core of an action: which image, what, and which rule. */
const core = (a: LifecycleAction) => `${a.type} ${a.digest} rule ${a.rulePriority}`;

describe('lifecycle runs and previews (in-process, fake clock)', () => {
  let dir: string;
  let stores: Stores;
  let s: Services;
  let now: number;
  const clock = { now: () => new Date(now) };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-lifecycle-'));
    now = T0;
    const config = loadConfig({ env: {}, flags: { dataDir: dir } });
    stores = await openStores(config);
    s = buildServices(config, stores, clock);
    await s.repositories.create(REPO);
  });
  afterEach(async () => {
    await s.lifecycle.settled();
    await stores.meta.close();
    await stores.blobs.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Pushes `built` (blobs, children, manifest) at day `day` (relative to T0), tagged or by digest. */
  async function pushAt(day: number, built: Built, tag?: string, repo = REPO): Promise<string> {
    now = T0 + day * DAY;
    for (const [digest, bytes] of built.blobs) await s.blobs.putWhole(repo, digest, Readable.from([bytes]));
    for (const [digest, m] of built.manifests) await s.manifests.put(repo, digest, m.bytes, m.mediaType);
    await s.manifests.put(repo, tag ?? built.descriptor.digest, built.bytes, built.descriptor.mediaType);
    return built.descriptor.digest;
  }
  const image = (): BuiltImage => buildImage({ layers: ['gzip'], layerBytes: 32 });
  const push = (day: number, tag?: string, repo = REPO) => pushAt(day, image(), tag, repo);
  /** Adds a tag to an existing image at day `day` (pushedAt stays the first push). */
  async function tag(day: number, digest: string, t: string): Promise<void> {
    now = T0 + day * DAY;
    const m = (await stores.meta.getManifest(REPO, digest))!;
    await s.manifests.put(REPO, t, m.bytes, m.mediaType);
  }
  const digests = async (repo = REPO) => (await stores.meta.listLifecycleImages(repo, undefined, 1000)).map((i) => i.digest).sort();
  const setDay = (day: number) => { now = T0 + day * DAY; };

  test('official age example: prod* images older than 14 days expire; the run is recorded as lastEvaluatedAt', async () => {
    const prodOld = await push(0, 'prod-1');
    const prodNew = await push(10, 'prod-2');
    const devOld = await push(0, 'dev-1');
    await s.lifecycle.put(REPO, policy(rule(1, { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 })));
    setDay(14);
    const early = await s.lifecycle.runRepository(REPO);
    assert.deepEqual(early.expired, [], 'exactly 14 days is not older than 14 days');
    setDay(20);
    const events: string[] = [];
    const r = await s.lifecycle.runRepository(REPO, (e) => events.push(`${e.kind} ${'action' in e ? e.action.digest : ''}`));
    assert.deepEqual(r.expired.map((a) => [a.digest, a.tags, a.rulePriority, a.type]), [[prodOld, ['prod-1'], 1, 'EXPIRE']]);
    assert.deepEqual(events, [`expired ${prodOld}`]);
    assert.deepEqual(r.evaluatedAt, new Date(T0 + 20 * DAY));
    assert.deepEqual(await digests(), [prodNew, devOld].sort());
    await assert.rejects(s.manifests.get(REPO, 'prod-1'), (e: any) => e.spec.oci === 'MANIFEST_UNKNOWN');
    assert.deepEqual(await s.lifecycle.get(REPO), { text: (await stores.meta.getLifecyclePolicy(REPO))!.text, evaluatedAt: new Date(T0 + 20 * DAY) });
  });

  test('expiry goes through BatchDeleteImage by digest: every tag goes with the image; its blobs stay for GC', async () => {
    const img = image();
    const d = await pushAt(0, img, 'a');
    await tag(1, d, 'b');
    await push(2, 'keep');
    await s.lifecycle.put(REPO, policy(rule(1, { tagStatus: 'tagged', tagPatternList: ['*'], countType: 'imageCountMoreThan', countNumber: 1 })));
    const r = await s.lifecycle.runRepository(REPO);
    assert.deepEqual(r.expired.map((a) => [a.digest, a.tags]), [[d, ['a', 'b']]]);
    assert.equal(await stores.meta.resolveTag(REPO, 'a'), undefined);
    assert.equal(await stores.meta.resolveTag(REPO, 'b'), undefined);
    for (const blob of img.blobs.keys()) assert.ok(await stores.blobs.stat(blob), 'bytes are left to garbage collection');
  });

  test('sinceImagePulled counts from the last recorded pull, or from the push when never pulled', async () => {
    const pulledRecently = await push(0, 'a');
    const neverPulled = await push(0, 'b');
    const pulledLongAgo = await push(0, 'c');
    setDay(5); await s.manifests.recordPull(REPO, pulledLongAgo);
    setDay(25); await s.manifests.recordPull(REPO, pulledRecently);
    await s.lifecycle.put(REPO, policy(rule(1, { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 20 })));
    setDay(30);
    const r = await s.lifecycle.runRepository(REPO);
    assert.deepEqual(r.expired.map((a) => a.digest).sort(), [neverPulled, pulledLongAgo].sort());
    assert.deepEqual(await digests(), [pulledRecently]);
  });

  test('a child of an index is not expired while the index exists; it follows on the next run', async () => {
    const child = image();
    const index = buildIndex([child]);
    await pushAt(0, index, 'multi');
    const loose = await push(0);
    await s.lifecycle.put(REPO, policy(rule(1, { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 })));
    setDay(5);
    const first = await s.lifecycle.runRepository(REPO);
    assert.deepEqual(first.expired.map((a) => a.digest).sort(), [index.descriptor.digest, loose].sort());
    assert.deepEqual(await digests(), [child.descriptor.digest]);
    const second = await s.lifecycle.runRepository(REPO);
    assert.deepEqual(second.expired.map((a) => a.digest), [child.descriptor.digest]);
    assert.deepEqual(await digests(), []);
  });

  test('transition archives through UpdateImageStorageClass; sinceImageTransitioned expires from the archive time', async () => {
    const stale = await push(0, 'stale');
    const fresh = await push(0, 'fresh');
    await s.lifecycle.put(REPO, policy(
      rule(1, { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 30 }, { type: 'transition', targetStorageClass: 'archive' }),
      rule(2, { tagStatus: 'any', storageClass: 'archive', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber: 90 })));
    setDay(35); await s.manifests.recordPull(REPO, fresh);
    setDay(40);
    const first = await s.lifecycle.runRepository(REPO);
    assert.deepEqual(first.transitioned.map((a) => [a.digest, a.targetStorageClass, a.storageClass, a.rulePriority]), [[stale, 'ARCHIVE', 'STANDARD', 1]]);
    const [facts] = (await stores.meta.listLifecycleImages(REPO, undefined, 10)).filter((i) => i.digest === stale);
    assert.equal(facts.imageStatus, 'ARCHIVED');
    assert.deepEqual(facts.lastArchivedAt, new Date(T0 + 40 * DAY));
    await assert.rejects(s.manifests.get(REPO, 'stale'), (e: any) => e.spec.oci === 'MANIFEST_UNKNOWN', 'archived images are not pullable');
    setDay(40 + 90);
    const cold = await s.lifecycle.runRepository(REPO);
    assert.deepEqual(cold.expired, [], '90 days in the archive is not more than 90');
    assert.deepEqual(cold.transitioned.map((a) => a.digest), [fresh], 'the other image went cold meanwhile');
    setDay(40 + 91);
    const late = await s.lifecycle.runRepository(REPO);
    assert.deepEqual(late.expired.map((a) => [a.digest, a.storageClass, a.rulePriority]), [[stale, 'ARCHIVE', 2]]);
    assert.deepEqual(late.transitioned, []);
    assert.deepEqual(await digests(), [fresh]);
  });

  test('a preview shows exactly what the run then does', async () => {
    // A repository with tagged, untagged, retagged, pulled and index-referenced images over 60 days.
    for (let day = 0; day < 12; day++) await push(day * 5, day % 3 === 0 ? undefined : `${day % 2 ? 'prod' : 'dev'}-${day}`);
    const retagged = await push(1, 'release-1');
    await tag(50, retagged, 'prod-latest');
    setDay(55); await s.manifests.recordPull(REPO, retagged);
    await pushAt(3, buildIndex([image(), image()]), 'multi');
    const text = policy(
      rule(1, { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'imageCountMoreThan', countNumber: 2 }),
      rule(2, { tagStatus: 'tagged', tagPrefixList: ['dev'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 20 }),
      rule(3, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }),
      rule(4, { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 30 }, { type: 'transition', targetStorageClass: 'archive' }));
    await s.lifecycle.put(REPO, text);
    setDay(60);
    assert.deepEqual(await s.lifecycle.startPreview(REPO, undefined), { text }, 'Start without a text previews the stored policy');
    await s.lifecycle.settled();
    const preview = await s.lifecycle.getPreview(REPO);
    assert.equal(preview.status, 'COMPLETE');
    const previewed = preview.results!.map(core);
    assert.deepEqual([...new Set(preview.results!.map((a) => a.rulePriority))].sort(), [1, 2, 3, 4], 'every rule acts on something');

    const run = await s.lifecycle.runRepository(REPO);
    assert.deepEqual([...run.expired, ...run.transitioned].map(core).sort(), [...previewed].sort());
    assert.deepEqual(run.skipped, []);
    const gone = preview.results!.filter((a) => a.type === 'EXPIRE').map((a) => a.digest);
    for (const d of gone) assert.ok(!(await digests()).includes(d), `${d} was expired`);
  });

  test('preview states: not found, IN_PROGRESS until computed, one at a time, EXPIRED after a day, FAILED when lost', async () => {
    const held: (() => void)[] = [];
    const lc = new LifecycleService({ meta: stores.meta, blobs: stores.blobs, clock, registryId: '000000000000', newId: () => 'x' },
      s.repositories, s.images, { defer: (fn) => held.push(fn) });
    const text = policy(rule(1, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }));
    const old = await push(0);
    await push(1);
    await assert.rejects(lc.getPreview(REPO), (e: any) => e.spec.ecr === 'LifecyclePolicyPreviewNotFoundException');
    await assert.rejects(lc.startPreview(REPO, undefined), (e: any) => e.spec.ecr === 'LifecyclePolicyNotFoundException');
    await assert.rejects(lc.startPreview(REPO, '{"rules":[]}'), (e: any) => e.spec.ecr === 'InvalidParameterException');
    await assert.rejects(lc.startPreview('lc/missing', text), (e: any) => e.spec.ecr === 'RepositoryNotFoundException');

    await lc.startPreview(REPO, text);
    assert.equal((await lc.getPreview(REPO)).status, 'IN_PROGRESS');
    await assert.rejects(lc.startPreview(REPO, text), (e: any) => e.spec.ecr === 'LifecyclePolicyPreviewInProgressException'
      && e.message === 'The previous lifecycle policy preview request has not completed. Wait and try again.');
    held.shift()!();
    await lc.settled();
    const done = await lc.getPreview(REPO);
    assert.deepEqual([done.status, done.results!.map((a) => a.digest)], ['COMPLETE', [old]]);
    assert.deepEqual(await stores.meta.getLifecyclePolicy(REPO), {}, 'a preview does not store the policy');

    now += PREVIEW_TTL_MS + 1;
    assert.deepEqual(await lc.getPreview(REPO), { text, status: 'EXPIRED', startedAt: done.startedAt });

    await lc.startPreview(REPO, text);
    now += PREVIEW_STALE_MS + 1;
    assert.equal((await lc.getPreview(REPO)).status, 'FAILED', 'a preview whose computation was lost');
    await lc.startPreview(REPO, text);
    for (const fn of held.splice(0)) fn();
    await lc.settled();
    assert.equal((await lc.getPreview(REPO)).status, 'COMPLETE', 'only the newest start finishes the preview');
  });

  /** Makes `change` happen to the image right before the store acts on it (after the evaluation), once. */
  function beforeFirstAct(method: 'deleteImage' | 'changeImageStatus', change: (digest: string) => Promise<void>) {
    const meta = stores.meta as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const original = meta[method].bind(stores.meta);
    let done = false;
    meta[method] = async (...args: unknown[]) => {
      if (!done) { done = true; await change(args[1] as string); }
      return original(...args);
    };
    return () => { meta[method] = original; };
  }

  test('an image tagged after the evaluation is not expired with its new tag: skipped, and decided again next run', async () => {
    const a = await push(0, 'a');
    const b = await push(0, 'b');
    await s.lifecycle.put(REPO, policy(rule(1, { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 })));
    setDay(5);
    let changed = '';
    const restore = beforeFirstAct('deleteImage', async (d) => { changed = d; await tag(5, d, 'release'); });
    const r = await s.lifecycle.runRepository(REPO);
    restore();
    const other = changed === a ? b : a;
    assert.deepEqual(r.expired.map((x) => x.digest), [other]);
    assert.deepEqual(r.skipped.map((x) => [x.action.digest, x.reason]), [[changed, IMAGE_CHANGED]]);
    assert.equal(await stores.meta.resolveTag(REPO, 'release'), changed, 'the tag pushed meanwhile survives');
    const next = await s.lifecycle.runRepository(REPO);
    assert.deepEqual(next.expired.map((x) => [x.digest, [...x.tags].sort()]), [[changed, [changed === a ? 'a' : 'b', 'release'].sort()]]);
  });

  test('a pull recorded after the evaluation saves the image from a sinceImagePulled rule only', async () => {
    await push(0, 'a');
    await push(0, 'b');
    await s.lifecycle.put(REPO, policy(rule(1, { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 1 })));
    setDay(5);
    let pulled = '';
    let restore = beforeFirstAct('deleteImage', async (d) => { pulled = d; await s.manifests.recordPull(REPO, d); });
    const r = await s.lifecycle.runRepository(REPO);
    restore();
    assert.deepEqual(r.skipped.map((x) => [x.action.digest, x.reason]), [[pulled, IMAGE_CHANGED]]);
    assert.equal(r.expired.length, 1);
    assert.deepEqual(await digests(), [pulled]);

    // Pulls do not matter to an age-since-push rule: the same interleaving expires both.
    const c = await push(6, 'c');
    await s.lifecycle.put(REPO, policy(rule(1, { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 })));
    setDay(10);
    restore = beforeFirstAct('deleteImage', async (d) => { await s.manifests.recordPull(REPO, d); });
    const r2 = await s.lifecycle.runRepository(REPO);
    restore();
    assert.deepEqual(r2.skipped, []);
    assert.deepEqual(r2.expired.map((x) => x.digest).sort(), [pulled, c].sort());
  });

  test('an image tagged after the evaluation is not archived by a transition rule', async () => {
    await push(0, 'a');
    await s.lifecycle.put(REPO, policy(rule(1, { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }, { type: 'transition', targetStorageClass: 'archive' })));
    setDay(5);
    const restore = beforeFirstAct('changeImageStatus', async (d) => { await tag(5, d, 'hotfix'); });
    const r = await s.lifecycle.runRepository(REPO);
    restore();
    assert.deepEqual(r.transitioned, []);
    assert.equal(r.skipped.length, 1);
    assert.match(r.skipped[0].reason, /changed .* after the lifecycle policy was evaluated/);
    assert.ok(await s.manifests.get(REPO, 'hotfix'), 'still pullable');
  });

  test('runAll runs every repository with a policy; one that fails does not stop the others', async () => {
    await s.repositories.create('lc/broken');
    await s.repositories.create('lc/nopolicy');
    await push(0, undefined, 'lc/nopolicy');
    await push(0);
    await push(1);
    await s.lifecycle.put(REPO, policy(rule(1, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 })));
    await stores.meta.putLifecyclePolicy('lc/broken', '{"rules": "not a list"}');
    const failed: string[] = [];
    const reports = await s.lifecycle.runAll((e) => { if (e.kind === 'failed') failed.push(e.repository); });
    assert.deepEqual(reports.map((r) => [r.repository, r.expired.length, r.error === undefined]), [['lc/app', 1, true], ['lc/broken', 0, false]]);
    assert.deepEqual(failed, ['lc/broken']);
    assert.equal((await digests('lc/nopolicy')).length, 1);
    await assert.rejects(s.lifecycle.runRepository('lc/nopolicy'), (e: any) => e.spec.ecr === 'LifecyclePolicyNotFoundException');
  });

  test('the scheduler logs every expiry at info with the repository, digest, tags and rule', async () => {
    const d = await push(0, 'v1');
    await push(1, 'v2');
    await s.lifecycle.put(REPO, policy(rule(7, { tagStatus: 'tagged', tagPrefixList: ['v'], countType: 'imageCountMoreThan', countNumber: 1 })));
    const lines: any[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk))); cb(); } });
    await s.lifecycle.runAll(lifecycleLogger(pino({ level: 'info' }, sink)));
    const expiry = lines.filter((l) => l.msg === 'lifecycle policy expired an image');
    assert.equal(expiry.length, 1);
    assert.deepEqual([expiry[0].level, expiry[0].repository, expiry[0].digest, expiry[0].tags, expiry[0].rulePriority], [30, REPO, d, ['v1'], 7]);
  });
});
