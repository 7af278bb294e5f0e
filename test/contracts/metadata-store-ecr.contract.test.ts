// MetadataStore contract for the ECR image API's store methods (deleteImage, untagImage) and the image
// facts it reads (listImageIds paging, recordPull), run against the SQLite adapter.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteMetadataStore } from '../../src/adapters/metadata-sqlite/index.ts';
import type { ImageIdRow, MetadataStore, NewManifest, TagDecision } from '../../src/ports/metadata-store.ts';
import { manifest, tagNames } from './metadata-store.contract.ts';

const T0 = new Date('2024-05-01T12:00:00.000Z');
const allow: TagDecision = () => {};

function ecrImageContract(name: string, open: () => MetadataStore): void {
  describe(`MetadataStore ECR image methods: ${name}`, () => {
    let s: MetadataStore;
    beforeEach(async () => { s = open(); await s.createRepository('r', T0); await s.createRepository('other', T0); });
    afterEach(async () => { await s.close(); });

    async function put(m: NewManifest, tag?: string, repo = 'r'): Promise<string> {
      const res = await s.putManifest(repo, m, tag, T0, allow);
      assert.equal(res.ok, true);
      return m.digest;
    }

    test('deleteImage removes the image with all its tags and returns them; undefined when absent', async () => {
      const m = manifest();
      const d = await put(m, 'b');
      await put(m, 'a');
      await put(manifest(), 'keep');
      assert.deepEqual(await s.deleteImage('r', d), { tags: ['a', 'b'] });
      assert.equal(await s.getManifest('r', d), undefined);
      assert.equal(await s.resolveTag('r', 'a'), undefined);
      assert.equal(await s.deleteImage('r', d), undefined);
      assert.equal(await s.deleteImage('missing', d), undefined);
      assert.deepEqual(await tagNames(s, 'r', undefined, 10), ['keep']);
      const loose = await put(manifest());
      assert.deepEqual(await s.deleteImage('r', loose), { tags: [] });
    });

    test('deleteImage refuses an image an index references, until the index is gone; other repositories do not count', async () => {
      const child = manifest();
      await put(child);
      await put(child, undefined, 'other');
      const index = manifest({ childDigests: [child.digest] });
      await put(index, 'multi');
      assert.equal(await s.deleteImage('r', child.digest), 'referenced');
      assert.ok(await s.getManifest('r', child.digest), 'nothing changed');
      assert.deepEqual(await s.deleteImage('other', child.digest), { tags: [] }, 'the index lives in another repository');
      assert.deepEqual(await s.deleteImage('r', index.digest), { tags: ['multi'] });
      assert.deepEqual(await s.deleteImage('r', child.digest), { tags: [] });
    });

    test('untagImage removes one tag; the last tag takes the image unless an index references it', async () => {
      const m = manifest();
      await put(m, 'a');
      await put(m, 'b');
      assert.deepEqual(await s.untagImage('r', 'a'), { digest: m.digest, imageDeleted: false });
      assert.ok(await s.getManifest('r', m.digest));
      assert.equal(await s.untagImage('r', 'a'), undefined);
      assert.equal(await s.untagImage('r', 'b', 'sha256:' + 'f'.repeat(64)), 'mismatch');
      assert.equal(await s.resolveTag('r', 'b'), m.digest, 'a mismatch changes nothing');
      assert.deepEqual(await s.untagImage('r', 'b', m.digest), { digest: m.digest, imageDeleted: true });
      assert.equal(await s.getManifest('r', m.digest), undefined);
      const child = manifest();
      await put(child, 'child');
      await put(manifest({ childDigests: [child.digest] }), 'multi');
      assert.deepEqual(await s.untagImage('r', 'child'), { digest: child.digest, imageDeleted: false });
      assert.ok(await s.getManifest('r', child.digest), 'kept for the index');
      assert.equal(await s.untagImage('missing', 'x'), undefined);
    });

    test('listImageIds pages through (digest, tag) rows exactly once, untagged images as a digest alone', async () => {
      const tagged = manifest();
      const loose = manifest();
      for (const t of ['x', 'y', 'z']) await put(tagged, t);
      await put(loose);
      const expected = [...['x', 'y', 'z'].map((tag) => ({ digest: tagged.digest, tag })), { digest: loose.digest }]
        .sort((a, b) => (a.digest === b.digest ? 0 : a.digest < b.digest ? -1 : 1));
      const rows: ImageIdRow[] = [];
      let after: ImageIdRow | undefined;
      for (;;) {
        const page = await s.listImageIds('r', after, 1);
        if (page.length === 0) break;
        rows.push(...page);
        after = page[page.length - 1];
      }
      assert.deepEqual(rows, expected);
      assert.deepEqual(await s.listImageIds('r', undefined, 10, 'UNTAGGED'), [{ digest: loose.digest }]);
      assert.deepEqual((await s.listImageIds('r', undefined, 10, 'TAGGED')).map((r) => r.tag), ['x', 'y', 'z']);
    });

    test('recordPull sets lastPulledAt, at most once per interval', async () => {
      const d = await put(manifest(), 'v1');
      const pulled = async () => (await s.getImages('r', [d]))[0].lastPulledAt?.getTime();
      assert.equal(await pulled(), undefined);
      await s.recordPull('r', d, new Date(T0.getTime() + 1000), 60_000);
      assert.equal(await pulled(), T0.getTime() + 1000);
      await s.recordPull('r', d, new Date(T0.getTime() + 30_000), 60_000);
      assert.equal(await pulled(), T0.getTime() + 1000, 'within the interval: unchanged');
      await s.recordPull('r', d, new Date(T0.getTime() + 120_000), 60_000);
      assert.equal(await pulled(), T0.getTime() + 120_000);
      // The manifest reads that serve pulls carry the same time (services skip a no-op recordPull with it).
      assert.equal((await s.getManifest('r', d))?.lastPulledAt?.getTime(), T0.getTime() + 120_000);
      assert.equal((await s.getManifestByTag('r', 'v1'))?.lastPulledAt?.getTime(), T0.getTime() + 120_000);
      await s.recordPull('missing', d, new Date(), 0);
    });
  });
}

ecrImageContract('sqlite :memory:', () => openSqliteMetadataStore({ path: ':memory:' }));
