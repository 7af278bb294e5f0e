// MetadataStore contract for the archive storage class (changeImageStatus and what archived images
// look like to the readers) and the pull-time update exclusion list, run against the SQLite adapter.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteMetadataStore } from '../../src/adapters/metadata-sqlite/index.ts';
import type { MetadataStore, NewManifest, TagDecision } from '../../src/ports/metadata-store.ts';
import { manifest } from './metadata-store.contract.ts';

const T0 = new Date('2024-05-01T12:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const allow: TagDecision = () => {};
const ROLE = 'arn:aws:iam::000000000000:role/scanner';
const USER = 'arn:aws:iam::000000000000:user/ci';

function archiveContract(name: string, open: () => MetadataStore): void {
  describe(`MetadataStore archive and pull-time exclusions: ${name}`, () => {
    let s: MetadataStore;
    beforeEach(async () => { s = open(); await s.createRepository('r', T0); await s.createRepository('other', T0); });
    afterEach(async () => { await s.close(); });

    async function put(m: NewManifest, tag?: string, repo = 'r', when = T0) {
      return s.putManifest(repo, m, tag, when, allow);
    }
    const image = async (d: string, repo = 'r') => (await s.getImages(repo, [d]))[0];

    test('ARCHIVED sets lastArchivedAt; the manifest then reads with imageStatus and listings hide it unless asked', async () => {
      const m = manifest();
      await put(m, 'v1');
      const kept = manifest();
      await put(kept);
      assert.equal((await image(m.digest)).imageStatus, 'ACTIVE');
      assert.equal((await s.getManifest('r', m.digest))?.imageStatus, undefined, 'ACTIVE manifests carry no status');
      assert.deepEqual(await s.changeImageStatus('r', m.digest, ['ACTIVE'], 'ARCHIVED', at(5)), { ok: true, previous: 'ACTIVE' });
      const img = await image(m.digest);
      assert.equal(img.imageStatus, 'ARCHIVED');
      assert.equal(img.lastArchivedAt?.getTime(), at(5).getTime());
      assert.equal(img.lastActivatedAt, undefined);
      assert.equal((await s.getManifest('r', m.digest))?.imageStatus, 'ARCHIVED');
      assert.equal((await s.getManifestByTag('r', 'v1'))?.imageStatus, 'ARCHIVED');
      assert.deepEqual((await s.listImages('r', undefined, 10, 'ANY', 'ACTIVE')).map((i) => i.digest), [kept.digest]);
      assert.deepEqual((await s.listImages('r', undefined, 10, 'ANY', 'ARCHIVED')).map((i) => i.digest), [m.digest]);
      assert.equal((await s.listImages('r', undefined, 10)).length, 2, 'the default is ANY');
      assert.deepEqual(await s.listImageIds('r', undefined, 10, 'TAGGED', 'ARCHIVED'), [{ digest: m.digest, tag: 'v1' }]);
      assert.deepEqual(await s.listImageIds('r', undefined, 10, 'ANY', 'ACTIVE'), [{ digest: kept.digest }]);
      assert.deepEqual(await s.listImageIds('r', undefined, 10, 'ANY', 'ACTIVATING'), []);
    });

    test('a status not in `from` changes nothing and reports the current one; unknown images and repositories are undefined', async () => {
      const m = manifest();
      await put(m);
      assert.deepEqual(await s.changeImageStatus('r', m.digest, ['ARCHIVED'], 'ACTIVE', at(1)), { ok: false, reason: 'from', current: 'ACTIVE' });
      await s.changeImageStatus('r', m.digest, ['ACTIVE'], 'ARCHIVED', at(2));
      assert.deepEqual(await s.changeImageStatus('r', m.digest, ['ACTIVE'], 'ARCHIVED', at(3)), { ok: false, reason: 'from', current: 'ARCHIVED' });
      assert.equal((await image(m.digest)).lastArchivedAt?.getTime(), at(2).getTime());
      assert.equal(await s.changeImageStatus('r', manifest().digest, ['ACTIVE'], 'ARCHIVED', at(4)), undefined);
      assert.equal(await s.changeImageStatus('missing', m.digest, ['ACTIVE'], 'ARCHIVED', at(4)), undefined);
      assert.equal(await s.changeImageStatus('other', m.digest, ['ACTIVE'], 'ARCHIVED', at(4)), undefined, 'per repository');
    });

    test('with an expectation, deleteImage and changeImageStatus act only while tags and pulls still match it', async () => {
      const m = manifest();
      await put(m, 'b');
      await put(m, 'a');
      const tags = ['b', 'a']; // in any order
      assert.equal(await s.deleteImage('r', m.digest, { tags: ['a'] }), 'changed', 'a tag more than expected');
      assert.equal(await s.deleteImage('r', m.digest, { tags: ['a', 'b', 'c'] }), 'changed', 'a tag fewer');
      assert.deepEqual(await s.changeImageStatus('r', m.digest, ['ACTIVE'], 'ARCHIVED', at(1), { tags: ['a'] }), { ok: false, reason: 'changed' });
      await s.recordPull('r', m.digest, at(10), 0);
      assert.equal(await s.deleteImage('r', m.digest, { tags, notPulledSince: at(10) }), 'changed', 'pulled at that instant');
      assert.deepEqual(await s.changeImageStatus('r', m.digest, ['ACTIVE'], 'ARCHIVED', at(11), { tags, notPulledSince: at(5) }), { ok: false, reason: 'changed' });
      assert.equal((await image(m.digest)).imageStatus, 'ACTIVE', 'nothing changed');
      assert.deepEqual(await s.changeImageStatus('r', m.digest, ['ACTIVE'], 'ARCHIVED', at(12), { tags, notPulledSince: at(11) }), { ok: true, previous: 'ACTIVE' });
      await s.changeImageStatus('r', m.digest, ['ARCHIVED'], 'ACTIVE', at(13));
      assert.deepEqual(await s.deleteImage('r', m.digest, { tags, notPulledSince: at(11) }), { tags: ['a', 'b'] });
      const loose = manifest();
      await put(loose);
      assert.equal(await s.deleteImage('r', loose.digest, { tags: ['x'] }), 'changed');
      assert.deepEqual(await s.deleteImage('r', loose.digest, { tags: [] }), { tags: [] }, 'untagged, never pulled');
    });

    test('blobInArchivedImagesOnly: referenced, and only by ARCHIVED images of that repository', async () => {
      const shared = 'sha256:' + 'a'.repeat(64);
      const own = 'sha256:' + 'b'.repeat(64);
      for (const d of [shared, own]) await s.linkBlob('r', d, 10, T0);
      await s.linkBlob('other', shared, 10, T0);
      const one = manifest({ blobDigests: [shared, own] });
      const two = manifest({ blobDigests: [shared] });
      await put(one, 'one');
      await put(two, 'two');
      await put(manifest({ blobDigests: [shared] }), 'x', 'other');
      const only = (d: string, repo = 'r') => s.blobInArchivedImagesOnly(repo, d);
      assert.deepEqual([await only(shared), await only(own)], [false, false]);
      await s.changeImageStatus('r', one.digest, ['ACTIVE'], 'ARCHIVED', at(1));
      assert.deepEqual([await only(shared), await only(own)], [false, true], 'shared is still used by an active image');
      await s.changeImageStatus('r', two.digest, ['ACTIVE'], 'ARCHIVED', at(2));
      assert.deepEqual([await only(shared), await only(shared, 'other')], [true, false], 'per repository');
      await s.changeImageStatus('r', one.digest, ['ARCHIVED'], 'ACTIVATING', at(3));
      assert.equal(await only(own), false, 'being restored is not archived');
      const loose = 'sha256:' + 'c'.repeat(64);
      await s.linkBlob('r', loose, 10, T0);
      assert.equal(await only(loose), false, 'linked but used by no image');
      assert.equal(await only(shared, 'missing'), false);
    });

    test('restoring sets lastActivatedAt and keeps lastArchivedAt', async () => {
      const m = manifest();
      await put(m);
      await s.changeImageStatus('r', m.digest, ['ACTIVE'], 'ARCHIVED', at(1));
      assert.deepEqual(await s.changeImageStatus('r', m.digest, ['ARCHIVED'], 'ACTIVATING', at(2)), { ok: true, previous: 'ARCHIVED' });
      assert.equal((await image(m.digest)).imageStatus, 'ACTIVATING');
      assert.deepEqual(await s.changeImageStatus('r', m.digest, ['ACTIVATING'], 'ACTIVE', at(3)), { ok: true, previous: 'ACTIVATING' });
      const img = await image(m.digest);
      assert.equal(img.imageStatus, 'ACTIVE');
      assert.equal(img.lastArchivedAt?.getTime(), at(1).getTime());
      assert.equal(img.lastActivatedAt?.getTime(), at(3).getTime());
      assert.equal((await s.getManifest('r', m.digest))?.imageStatus, undefined);
    });

    test('an index child cannot be archived while the index is not archived; restoring the index brings its archived children back', async () => {
      const child = manifest();
      await put(child);
      const index = manifest({ childDigests: [child.digest] });
      await put(index, 'multi');
      assert.deepEqual(await s.changeImageStatus('r', child.digest, ['ACTIVE'], 'ARCHIVED', at(1)), { ok: false, reason: 'referenced' });
      assert.equal((await image(child.digest)).imageStatus, 'ACTIVE');
      await s.changeImageStatus('r', index.digest, ['ACTIVE'], 'ARCHIVED', at(2));
      assert.equal((await image(child.digest)).imageStatus, 'ACTIVE', 'archiving an index leaves its children alone');
      assert.deepEqual(await s.changeImageStatus('r', child.digest, ['ACTIVE'], 'ARCHIVED', at(3)), { ok: true, previous: 'ACTIVE' });
      await s.changeImageStatus('r', index.digest, ['ARCHIVED'], 'ACTIVE', at(4));
      const c = await image(child.digest);
      assert.equal(c.imageStatus, 'ACTIVE');
      assert.equal(c.lastActivatedAt?.getTime(), at(4).getTime());
    });

    test('pushing an archived image again restores it; an index naming an archived child is refused as missing', async () => {
      const m = manifest();
      await put(m, 'v1');
      await s.changeImageStatus('r', m.digest, ['ACTIVE'], 'ARCHIVED', at(1));
      const index = manifest({ childDigests: [m.digest] });
      assert.deepEqual(await put(index, 'multi'), { ok: false, reason: 'missing', digest: m.digest });
      assert.deepEqual(await put(m, 'v2', 'r', at(2)), { ok: true, created: false });
      const img = await image(m.digest);
      assert.equal(img.imageStatus, 'ACTIVE');
      assert.equal(img.lastActivatedAt?.getTime(), at(2).getTime());
      assert.deepEqual(img.tags, ['v1', 'v2']);
      assert.deepEqual(await put(index, 'multi'), { ok: true, created: true });
    });

    test('listReferrers filters by image status', async () => {
      const subject = manifest();
      await put(subject);
      const sig = manifest({ subject: subject.digest, artifactType: 'application/vnd.example.sig' });
      const sbom = manifest({ subject: subject.digest, artifactType: 'application/vnd.example.sbom' });
      await put(sig);
      await put(sbom);
      await s.changeImageStatus('r', sig.digest, ['ACTIVE'], 'ARCHIVED', at(1));
      assert.deepEqual((await s.listReferrers('r', subject.digest, undefined, 'ACTIVE')).map((r) => r.digest), [sbom.digest]);
      assert.deepEqual((await s.listReferrers('r', subject.digest, undefined, 'ARCHIVED')).map((r) => r.digest), [sig.digest]);
      assert.equal((await s.listReferrers('r', subject.digest)).length, 2, 'the default is ANY');
      assert.deepEqual(await s.listReferrers('r', subject.digest, 'application/vnd.example.sbom', 'ARCHIVED'), []);
    });

    test('exclusions: add once (createdAt), refuse a duplicate, respect the limit, remove, list in ARN order with a cursor', async () => {
      assert.deepEqual(await s.addPullTimeExclusion(USER, at(1), 2), { createdAt: at(1) });
      assert.equal(await s.addPullTimeExclusion(USER, at(2), 2), 'exists');
      assert.deepEqual(await s.addPullTimeExclusion(ROLE, at(3), 2), { createdAt: at(3) });
      assert.equal(await s.addPullTimeExclusion('arn:aws:iam::000000000000:role/third', at(4), 2), 'limit');
      assert.equal(await s.addPullTimeExclusion(ROLE, at(4), 2), 'exists', 'a listed principal is "exists" even when the list is full');
      assert.deepEqual(await s.listPullTimeExclusions(undefined, 10), [{ principalArn: ROLE, createdAt: at(3) }, { principalArn: USER, createdAt: at(1) }]);
      assert.deepEqual((await s.listPullTimeExclusions(ROLE, 10)).map((e) => e.principalArn), [USER]);
      assert.deepEqual((await s.listPullTimeExclusions(undefined, 1)).map((e) => e.principalArn), [ROLE]);
      assert.equal(await s.removePullTimeExclusion(ROLE), true);
      assert.equal(await s.removePullTimeExclusion(ROLE), false);
      assert.deepEqual((await s.listPullTimeExclusions(undefined, 10)).map((e) => e.principalArn), [USER]);
    });

    test('recordPull skips excluded principals from the moment they are added, and counts them again once removed', async () => {
      const m = manifest();
      await put(m);
      const pulled = async () => (await image(m.digest)).lastPulledAt?.getTime();
      await s.addPullTimeExclusion(USER, T0, 100);
      await s.recordPull('r', m.digest, at(1), 0, USER);
      assert.equal(await pulled(), undefined, 'excluded');
      await s.recordPull('r', m.digest, at(2), 0, ROLE);
      assert.equal(await pulled(), at(2).getTime(), 'another principal counts');
      await s.recordPull('r', m.digest, at(3), 0);
      assert.equal(await pulled(), at(3).getTime(), 'an anonymous pull counts');
      await s.removePullTimeExclusion(USER);
      await s.recordPull('r', m.digest, at(4), 0, USER);
      assert.equal(await pulled(), at(4).getTime());
    });
  });
}

archiveContract('sqlite :memory:', () => openSqliteMetadataStore({ path: ':memory:' }));
