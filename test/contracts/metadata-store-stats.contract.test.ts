// MetadataStore contract for repositoryStats (the per-repository /metrics gauges): image counts,
// stored bytes as distinct referenced blobs, name order and pagination; run against SQLite.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteMetadataStore } from '../../src/adapters/metadata-sqlite/index.ts';
import type { MetadataStore, RepositoryStats, TagDecision } from '../../src/ports/metadata-store.ts';
import { MT } from '../../src/domain/media-types.ts';
import { manifest } from './metadata-store.contract.ts';
import { absent, byteOrder, shuffled } from './support.ts';

const T0 = new Date('2024-05-01T12:00:00.000Z');
const allow: TagDecision = () => {};

function statsContract(name: string, open: () => { store: MetadataStore; cleanup(): Promise<void> }): void {
  describe(`MetadataStore repositoryStats: ${name}`, () => {
    let s: MetadataStore;
    let cleanup: () => Promise<void>;
    beforeEach(() => { ({ store: s, cleanup } = open()); });
    afterEach(async () => { await s.close(); await cleanup(); });

    /** Every row, walked in pages of `limit`. */
    async function all(limit = 1000): Promise<RepositoryStats[]> {
      const out: RepositoryStats[] = [];
      for (let after: string | undefined; ;) {
        const page = await s.repositoryStats(after, limit);
        assert.ok(page.length <= limit);
        out.push(...page);
        if (page.length < limit) return out;
        after = page[page.length - 1].name;
      }
    }

    async function push(repo: string, blobs: [string, number][], tag?: string) {
      for (const [d, size] of blobs) assert.equal(await s.linkBlob(repo, d, size, T0), true);
      const m = manifest({ blobDigests: blobs.map(([d]) => d) });
      assert.equal((await s.putManifest(repo, m, tag, T0, allow)).ok, true);
      return m;
    }

    test('an empty registry has no rows; an empty repository answers 0 images and 0 bytes', async () => {
      assert.deepEqual(await all(), []);
      await s.createRepository('empty', T0);
      assert.deepEqual(await all(), [{ name: 'empty', images: 0, storedBytes: 0 }]);
    });

    test('counts every manifest and adds up each referenced blob once, however many images share it', async () => {
      await s.createRepository('app', T0);
      const [shared, a, b] = [absent(), absent(), absent()];
      const m1 = await push('app', [[shared, 1000], [a, 10]], 'v1');
      const m2 = await push('app', [[shared, 1000], [b, 7]]);
      assert.deepEqual(await all(), [{ name: 'app', images: 2, storedBytes: 1017 }]);
      // An index and its children: every manifest is an image; the index references no blob.
      const index = manifest({ mediaType: MT.ociIndex, childDigests: [m1.digest, m2.digest] });
      assert.equal((await s.putManifest('app', index, 'multi', T0, allow)).ok, true);
      assert.deepEqual(await all(), [{ name: 'app', images: 3, storedBytes: 1017 }]);
    });

    test('linked blobs no manifest names are not stored bytes; a blob shared by two repositories counts in both', async () => {
      await s.createRepository('one', T0);
      await s.createRepository('two', T0);
      const [layer, loose] = [absent(), absent()];
      await push('one', [[layer, 500]]);
      await push('two', [[layer, 500]]);
      assert.equal(await s.linkBlob('two', loose, 9999, T0), true);
      assert.deepEqual(await all(), [{ name: 'one', images: 1, storedBytes: 500 }, { name: 'two', images: 1, storedBytes: 500 }]);
    });

    test('deleting an image lowers its repository\'s figures and leaves the others', async () => {
      await s.createRepository('a', T0);
      await s.createRepository('b', T0);
      const [x, y] = [absent(), absent()];
      const m = await push('a', [[x, 40], [y, 2]], 'latest');
      await push('b', [[x, 40]]);
      assert.deepEqual(await s.deleteImage('a', m.digest), { tags: ['latest'] });
      assert.deepEqual(await all(), [{ name: 'a', images: 0, storedBytes: 0 }, { name: 'b', images: 1, storedBytes: 40 }]);
      assert.equal(await s.deleteRepository('b'), true);
      assert.deepEqual(await all(), [{ name: 'a', images: 0, storedBytes: 0 }]);
    });

    test('rows come in byte order of the name and page with an exclusive cursor', async () => {
      const names = ['zeta', 'a/b', 'a-b', 'a', 'team/x', 'b'];
      for (const n of shuffled(names)) await s.createRepository(n, T0);
      const want = [...names].sort(byteOrder);
      for (const limit of [1, 2, 5, 100]) assert.deepEqual((await all(limit)).map((r) => r.name), want, `limit ${limit}`);
      assert.deepEqual((await s.repositoryStats('a-b', 2)).map((r) => r.name), want.slice(want.indexOf('a-b') + 1, want.indexOf('a-b') + 3));
    });
  });
}

statsContract('sqlite file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-meta-stats-'));
  return { store: openSqliteMetadataStore({ path: join(dir, 'wharf.db') }), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

statsContract('sqlite :memory:', () => ({ store: openSqliteMetadataStore({ path: ':memory:' }), cleanup: async () => {} }));
