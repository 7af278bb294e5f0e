// MetadataStore contract for the garbage-collection methods (reserveBlob, linkReservedBlob, mountBlob,
// listUnreferencedBlobs, markBlobsForDeletion, listMarkedBlobs, forgetMarkedBlobs), linkBlob's touch
// and refusal of marked blobs, and deletes releasing blobs at the store's clock; run against SQLite.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteMetadataStore } from '../../src/adapters/metadata-sqlite/index.ts';
import type { Clock } from '../../src/ports/clock.ts';
import type { BlobRow, MetadataStore, TagDecision } from '../../src/ports/metadata-store.ts';
import { manifest } from './metadata-store.contract.ts';
import { absent } from './support.ts';

const T0 = new Date('2024-05-01T12:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const allow: TagDecision = () => {};
const digests = (rows: readonly BlobRow[]) => rows.map((r) => r.digest);

function gcContract(name: string, open: (clock: Clock) => { store: MetadataStore; cleanup(): Promise<void> }): void {
  describe(`MetadataStore garbage-collection methods: ${name}`, () => {
    let s: MetadataStore;
    let cleanup: () => Promise<void>;
    let now = T0.getTime();
    beforeEach(async () => {
      now = T0.getTime();
      ({ store: s, cleanup } = open({ now: () => new Date(now) }));
      await s.createRepository('a', T0);
      await s.createRepository('b', T0);
    });
    afterEach(async () => { await s.close(); await cleanup(); });

    /** Every unreferenced blob touched before `cutoff`, walked in pages of `limit`. */
    async function unreferenced(cutoff: Date, limit = 1000): Promise<BlobRow[]> {
      const out: BlobRow[] = [];
      let page = await s.listUnreferencedBlobs(cutoff, undefined, limit);
      for (;;) {
        assert.ok(page.blobs.length <= limit);
        out.push(...page.blobs);
        if (!page.next) return out;
        page = await s.listUnreferencedBlobs(cutoff, page.next, limit);
      }
    }

    test('linkBlob raises the touched time, also when the link exists; listUnreferencedBlobs honours the cutoff', async () => {
      const d = absent();
      assert.equal(await s.linkBlob('a', d, 10, T0), true);
      assert.deepEqual(await unreferenced(at(1)), [{ digest: d, size: 10, touchedAt: T0 }]);
      assert.equal(await s.linkBlob('a', d, 10, at(100)), true);
      assert.deepEqual(await unreferenced(at(1)), []);
      assert.deepEqual(await unreferenced(at(101)), [{ digest: d, size: 10, touchedAt: at(100) }]);
      assert.equal(await s.linkBlob('a', d, 10, at(50)), true, 'an older time never lowers it');
      assert.deepEqual(digests(await unreferenced(at(100))), []);
    });

    test('listUnreferencedBlobs skips blobs any manifest in any repository references, and pages in (touchedAt, digest) order', async () => {
      assert.deepEqual(await s.listUnreferencedBlobs(at(10), undefined, 5), { blobs: [] });
      const kept = absent();
      await s.linkBlob('a', kept, 1, T0);
      await s.linkBlob('b', kept, 1, T0);
      assert.equal((await s.putManifest('b', manifest({ blobDigests: [kept] }), undefined, T0, allow)).ok, true);
      const loose = Array.from({ length: 7 }, (_, i) => ({ d: absent(), t: at(i % 3) }));
      for (const { d, t } of loose) await s.linkBlob('a', d, 5, t);
      const want = [...loose].sort((x, y) => x.t.getTime() - y.t.getTime() || (x.d < y.d ? -1 : 1)).map((x) => x.d);
      for (const limit of [1, 2, 3, 100]) assert.deepEqual(digests(await unreferenced(at(10), limit)), want, `limit ${limit}`);
    });

    test('markBlobsForDeletion decides again: only unmarked, old, unreferenced blobs lose their links and get marked', async () => {
      const [old, young, used, gone] = [absent(), absent(), absent(), absent()];
      for (const r of ['a', 'b']) await s.linkBlob(r, old, 3, T0);
      await s.linkBlob('a', young, 4, at(20));
      await s.linkBlob('a', used, 5, T0);
      assert.equal((await s.putManifest('a', manifest({ blobDigests: [used] }), undefined, T0, allow)).ok, true);
      const marked = await s.markBlobsForDeletion([old, young, used, gone], at(10), at(30), 'gc-1');
      assert.deepEqual(marked, [{ digest: old, size: 3, touchedAt: T0 }]);
      assert.equal(await s.getLinkedBlob('a', old), undefined);
      assert.equal(await s.getLinkedBlob('b', old), undefined);
      assert.deepEqual(await s.getLinkedBlob('a', young), { digest: young, size: 4 });
      assert.deepEqual(await s.getLinkedBlob('a', used), { digest: used, size: 5 });
      assert.deepEqual(await s.markBlobsForDeletion([old], at(10), at(31), 'gc-2'), [], 'a marked blob is not marked again');
      assert.deepEqual(await s.listMarkedBlobs(10), [{ digest: old, size: 3, touchedAt: T0, markedAt: at(30), markedBy: 'gc-1' }]);
      assert.deepEqual(await unreferenced(at(100)), [{ digest: young, size: 4, touchedAt: at(20) }], 'marked blobs are no candidates');
    });

    test('a marked blob refuses every way in: reserve answers marked, linkBlob and mountBlob refuse, a manifest naming it fails', async () => {
      const d = absent();
      await s.linkBlob('a', d, 3, T0);
      await s.markBlobsForDeletion([d], at(1), at(1), 'gc');
      assert.equal(await s.reserveBlob(d, 3, at(2)), 'marked');
      assert.equal(await s.linkBlob('a', d, 3, at(2)), false);
      assert.equal(await s.mountBlob('b', 'a', d, at(2)), undefined);
      assert.deepEqual(await s.putManifest('a', manifest({ blobDigests: [d] }), 'x', at(2), allow), { ok: false, reason: 'missing', digest: d });
      assert.equal(await s.forgetMarkedBlobs([d, absent()]), 1);
      assert.deepEqual(await s.listMarkedBlobs(10), []);
      assert.equal(await s.getLinkedBlob('a', d), undefined);
    });

    test('forgetMarkedBlobs leaves unmarked blobs alone', async () => {
      const d = absent();
      await s.linkBlob('a', d, 3, T0);
      assert.equal(await s.forgetMarkedBlobs([d]), 0);
      assert.deepEqual(await s.getLinkedBlob('a', d), { digest: d, size: 3 });
    });

    test('reserveBlob then linkReservedBlob links the blob, records its size and touches it', async () => {
      const d = absent();
      const r = await s.reserveBlob(d, 0, at(5));
      assert.notEqual(r, 'marked');
      if (r === 'marked') return;
      assert.deepEqual(await unreferenced(at(6)), [{ digest: d, size: 0, touchedAt: at(5) }], 'reserved, not linked yet');
      assert.equal(await s.getLinkedBlob('a', d), undefined);
      assert.equal(await s.linkReservedBlob('a', r, 1234, at(7)), 'linked');
      assert.deepEqual(await s.getLinkedBlob('a', d), { digest: d, size: 1234 });
      assert.deepEqual(await unreferenced(at(8)), [{ digest: d, size: 1234, touchedAt: at(7) }]);
      assert.equal(await s.linkReservedBlob('missing', r, 1234, at(7)), 'no-repository');
      const again = await s.reserveBlob(d, 1234, at(9));
      assert.deepEqual(again, r, 'an existing row keeps its incarnation');
    });

    test('linkReservedBlob answers collected when a collection marked or replaced the row after the reservation', async () => {
      const d = absent();
      const r = await s.reserveBlob(d, 10, T0);
      assert.notEqual(r, 'marked');
      if (r === 'marked') return;
      assert.deepEqual(digests(await s.markBlobsForDeletion([d], at(1), at(1), 'gc')), [d]);
      assert.equal(await s.linkReservedBlob('a', r, 10, at(2)), 'collected', 'marked');
      await s.forgetMarkedBlobs([d]);
      assert.equal(await s.linkReservedBlob('a', r, 10, at(2)), 'collected', 'gone');
      const r2 = await s.reserveBlob(d, 10, at(3));
      assert.notEqual(r2, 'marked');
      assert.equal(await s.linkReservedBlob('a', r, 10, at(4)), 'collected', 'a new incarnation is not the one reserved');
      if (r2 !== 'marked') assert.equal(await s.linkReservedBlob('a', r2, 10, at(4)), 'linked');
      assert.equal(await s.getLinkedBlob('b', d), undefined);
    });

    test('mountBlob links a blob of another repository and touches it; undefined without a source link', async () => {
      const d = absent();
      await s.linkBlob('a', d, 9, T0);
      assert.equal(await s.mountBlob('b', 'missing', d, at(1)), undefined);
      assert.equal(await s.mountBlob('b', 'a', absent(), at(1)), undefined);
      assert.equal(await s.mountBlob('missing', 'a', d, at(1)), 'no-repository');
      assert.deepEqual(await s.mountBlob('b', 'a', d, at(5)), { digest: d, size: 9 });
      assert.deepEqual(await s.getLinkedBlob('b', d), { digest: d, size: 9 });
      assert.deepEqual(await unreferenced(at(6)), [{ digest: d, size: 9, touchedAt: at(5) }]);
    });

    test('deleting a manifest, by any method, releases its blobs at the store clock (the grace period starts again)', async () => {
      const ds = Array.from({ length: 4 }, () => absent());
      for (const d of ds) await s.linkBlob('a', d, 1, T0);
      const ms = ds.map((d) => manifest({ blobDigests: [d] }));
      for (const [i, m] of ms.entries()) assert.equal((await s.putManifest('a', m, `t${i}`, T0, allow)).ok, true);
      assert.deepEqual(await unreferenced(at(1000)), [], 'referenced');
      now = at(100).getTime();
      assert.equal(await s.deleteManifest('a', ms[0].digest), true);
      now = at(200).getTime();
      assert.deepEqual(await s.deleteImage('a', ms[1].digest), { tags: ['t1'] });
      now = at(300).getTime();
      assert.deepEqual(await s.untagImage('a', 't2'), { digest: ms[2].digest, imageDeleted: true });
      now = at(400).getTime();
      assert.equal(await s.deleteRepository('a'), true);
      assert.deepEqual((await unreferenced(at(1000))).map((r) => [r.digest, r.touchedAt]),
        [[ds[0], at(100)], [ds[1], at(200)], [ds[2], at(300)], [ds[3], at(400)]]);
    });
  });
}

gcContract('sqlite file', (clock) => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-meta-gc-'));
  return { store: openSqliteMetadataStore({ path: join(dir, 'wharf.db'), clock }), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

gcContract('sqlite :memory:', (clock) => ({ store: openSqliteMetadataStore({ path: ':memory:', clock }), cleanup: async () => {} }));
