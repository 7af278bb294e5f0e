// MetadataStore contract for pushes with several tags (OCI `?tag=`), manifests stored under a digest
// other than their sha256, and the manifest BatchCheckLayerAvailability reads a layer's media type
// from, run against the SQLite adapter.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteMetadataStore } from '../../src/adapters/metadata-sqlite/index.ts';
import type { MetadataStore, NewManifest, TagDecision } from '../../src/ports/metadata-store.ts';
import { manifest, tagNames } from './metadata-store.contract.ts';
import { sha256, sha512 } from './support.ts';

const T0 = new Date('2024-05-01T12:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const allow: TagDecision = () => {};

function pushContract(name: string, open: () => MetadataStore): void {
  describe(`MetadataStore pushes: ${name}`, () => {
    let s: MetadataStore;
    beforeEach(async () => { s = open(); await s.createRepository('r', T0); });
    afterEach(async () => { await s.close(); });

    /** A manifest whose blobs are linked to `r`. */
    async function withBlobs(blobs = [sha256(`config ${Math.random()}`), sha256(`layer ${Math.random()}`)]): Promise<NewManifest> {
      for (const d of blobs) assert.equal(await s.linkBlob('r', d, 10, T0), true);
      return manifest({ blobDigests: blobs });
    }

    test('putManifest with several tags points each at the manifest, asking the decision once per tag in order', async () => {
      const m = await withBlobs();
      const asked: [string, string | undefined][] = [];
      const record: TagDecision = (_r, tag, current) => { asked.push([tag, current]); };
      assert.deepEqual(await s.putManifest('r', m, ['b', 'a', 'c'], T0, record), { ok: true, created: true });
      assert.deepEqual(asked, [['b', undefined], ['a', undefined], ['c', undefined]]);
      for (const t of ['a', 'b', 'c']) assert.equal(await s.resolveTag('r', t), m.digest);
    });

    test('a decision refusing the last of several tags stores neither the manifest nor any tag', async () => {
      const first = await withBlobs();
      await s.putManifest('r', first, 'fixed', T0, allow);
      const next = await withBlobs();
      const deny: TagDecision = (_r, tag, current) => { if (tag === 'fixed' && current !== undefined) throw new Error('immutable'); };
      await assert.rejects(s.putManifest('r', next, ['fresh', 'fixed'], at(1), deny), /immutable/);
      assert.equal(await s.getManifest('r', next.digest), undefined);
      assert.deepEqual(await tagNames(s, 'r', undefined, 10), ['fixed']);
      assert.equal(await s.resolveTag('r', 'fixed'), first.digest);
    });

    test('a manifest stored under a sha512 digest is read, tagged and referenced by that digest only', async () => {
      const base = await withBlobs();
      const d512 = sha512(base.bytes);
      const m: NewManifest = { ...base, digest: d512 };
      assert.deepEqual(await s.putManifest('r', m, 'big', T0, allow), { ok: true, created: true });
      assert.equal((await s.getManifest('r', d512))?.bytes.equals(base.bytes), true);
      assert.equal(await s.getManifest('r', base.digest), undefined);
      assert.equal((await s.getManifestByTag('r', 'big'))?.digest, d512);
      const index = manifest({ childDigests: [d512] });
      assert.deepEqual(await s.putManifest('r', index, undefined, T0, allow), { ok: true, created: true });
      assert.equal(await s.deleteImage('r', d512), 'referenced');
    });

    test('latestManifestUsingBlob answers the most recently pushed manifest naming the blob, of any status', async () => {
      const [config, layer, loose] = [sha256('c'), sha256('l'), sha256('x')];
      for (const d of [config, layer, loose]) await s.linkBlob('r', d, 10, T0);
      const older = manifest({ blobDigests: [config, layer] });
      const newer = manifest({ blobDigests: [layer] });
      await s.putManifest('r', older, undefined, at(1), allow);
      await s.putManifest('r', newer, undefined, at(2), allow);
      assert.equal((await s.latestManifestUsingBlob('r', layer))?.digest, newer.digest);
      assert.equal((await s.latestManifestUsingBlob('r', config))?.digest, older.digest);
      assert.equal(await s.latestManifestUsingBlob('r', loose), undefined);
      assert.equal(await s.latestManifestUsingBlob('absent', layer), undefined);
      await s.changeImageStatus('r', newer.digest, ['ACTIVE'], 'ARCHIVED', at(3));
      assert.equal((await s.latestManifestUsingBlob('r', layer))?.digest, newer.digest, 'an archived image still names the layer');
      await s.deleteManifest('r', newer.digest);
      assert.equal((await s.latestManifestUsingBlob('r', layer))?.digest, older.digest);
    });
  });
}

pushContract('sqlite :memory:', () => openSqliteMetadataStore({ path: ':memory:' }));
