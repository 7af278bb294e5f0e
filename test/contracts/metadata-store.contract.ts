// The MetadataStore port contract (src/ports/metadata-store.ts), registered as node:test tests for one adapter.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { MetadataStore, NewManifest, TagDecision } from '../../src/ports/metadata-store.ts';
import { metadataRepositoryRecordContract } from './metadata-store-repos.contract.ts';
import { absent, byteOrder, sha256, shuffled } from './support.ts';

export interface MetadataStoreFixture {
  store: MetadataStore;
  cleanup(): Promise<void>;
}

const MT_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const MT_INDEX = 'application/vnd.oci.image.index.v1+json';
const T0 = new Date('2024-05-01T12:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const allow: TagDecision = () => {};
/** The part of a Repository this suite checks (settings are covered by metadata-store-repos.contract.ts). */
const nameAndDate = (r: { name: string; createdAt: Date } | undefined) => r && { name: r.name, createdAt: r.createdAt };

/** A manifest record for the store: unique bytes whose digest is their sha256. */
export function manifest(opts: Partial<Omit<NewManifest, 'digest' | 'size' | 'bytes'>> = {}): NewManifest {
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, nonce: randomUUID(), ...opts }));
  return { mediaType: MT_MANIFEST, blobDigests: [], childDigests: [], ...opts, digest: sha256(bytes), size: bytes.length, bytes };
}

/** A page of tag names (listTagsJson decoded; no repository reads as no tags). */
export async function tagNames(s: MetadataStore, repo: string, after: string | undefined, limit: number): Promise<string[]> {
  return JSON.parse((await s.listTagsJson(repo, after, limit))?.json ?? '[]') as string[];
}

export function metadataStoreContract(name: string, make: () => Promise<MetadataStoreFixture>): void {
  describe(`MetadataStore contract: ${name}`, () => {
    let fx: MetadataStoreFixture;
    let s: MetadataStore;
    beforeEach(async () => { fx = await make(); s = fx.store; });
    afterEach(async () => { await s.close().catch(() => {}); await fx.cleanup(); });

    /** Creates `repo` with two linked blobs and returns a manifest referencing them (not stored). */
    async function repoWithImage(repo: string, extra: Partial<NewManifest> = {}): Promise<NewManifest> {
      await s.createRepository(repo, T0);
      const blobs = [absent(), absent()];
      for (const d of blobs) assert.equal(await s.linkBlob(repo, d, 100, T0), true);
      return manifest({ blobDigests: blobs, ...extra });
    }
    const put = (repo: string, m: NewManifest, tag?: string, decide: TagDecision = allow) => s.putManifest(repo, m, tag, T0, decide);
    metadataRepositoryRecordContract({ get store() { return s; }, manifest: () => manifest() });

    describe('repositories', () => {
      test('createRepository returns the repository once, then undefined', async () => {
        assert.deepEqual(nameAndDate(await s.createRepository('team/app', T0)), { name: 'team/app', createdAt: T0 });
        assert.equal(await s.createRepository('team/app', at(5)), undefined);
        assert.deepEqual(nameAndDate(await s.getRepository('team/app')), { name: 'team/app', createdAt: T0 });
        assert.equal(await s.getRepository('team/other'), undefined);
        assert.equal(await s.getRepository('team'), undefined);
      });

      test('listRepositories is in byte order and paginates with an exclusive cursor', async () => {
        const names = ['b', 'a', 'a/b', 'a-b', 'a.b', 'a_b', 'ab', 'a0', 'a/b/c', 'z9', '0a', 'a__b'];
        for (const n of shuffled(names)) await s.createRepository(n, T0);
        const sorted = [...names].sort(byteOrder);
        assert.deepEqual(await s.listRepositories(undefined, 1000), sorted);
        for (const limit of [1, 2, 5]) {
          const pages: string[] = [];
          let after: string | undefined;
          for (;;) {
            const page = await s.listRepositories(after, limit);
            assert.ok(page.length <= limit);
            pages.push(...page);
            if (page.length < limit) break;
            after = page[page.length - 1];
          }
          assert.deepEqual(pages, sorted, `pages of ${limit}`);
        }
        assert.deepEqual(await s.listRepositories('a/b', 2), sorted.slice(sorted.indexOf('a/b') + 1, sorted.indexOf('a/b') + 3));
        assert.deepEqual(await s.listRepositories('a/a', 1), ['a/b'], 'a cursor that names nothing');
        assert.deepEqual(await s.listRepositories('z9', 10), []);
      });

      test('deleteRepository removes its manifests, tags, blob links and uploads, and nothing else', async () => {
        const m = await repoWithImage('gone/app');
        const keep = await repoWithImage('kept/app', { blobDigests: m.blobDigests });
        for (const repo of ['gone/app', 'kept/app']) {
          for (const d of m.blobDigests) await s.linkBlob(repo, d, 100, T0);
          const subject = repo === 'gone/app' ? m : keep;
          assert.deepEqual(await put(repo, subject, 'latest'), { ok: true, created: true });
          assert.equal((await put(repo, manifest({ subject: subject.digest, artifactType: 'x/sig' }))).ok, true);
          assert.equal(await s.createUpload({ id: randomUUID(), repo, startedAt: T0 }), true);
        }
        assert.equal(await s.deleteRepository('gone/app'), true);
        assert.equal(await s.deleteRepository('gone/app'), false);
        assert.equal(await s.getRepository('gone/app'), undefined);
        assert.deepEqual((await s.listUploadsStartedBefore(at(1))).map((u) => u.repo), ['kept/app']);
        await s.createRepository('gone/app', at(9));
        assert.equal(await s.getLinkedBlob('gone/app', m.blobDigests[0]), undefined);
        assert.equal(await s.getManifest('gone/app', m.digest), undefined);
        assert.equal(await s.getManifestByTag('gone/app', 'latest'), undefined);
        assert.deepEqual(await tagNames(s, 'gone/app', undefined, 100), []);
        assert.deepEqual(await s.listReferrers('gone/app', m.digest), []);
        assert.deepEqual(await s.getLinkedBlob('kept/app', m.blobDigests[0]), { digest: m.blobDigests[0], size: 100 });
        assert.equal((await s.getManifestByTag('kept/app', 'latest'))?.digest, keep.digest);
        assert.equal((await s.listReferrers('kept/app', keep.digest)).length, 1);
      });
    });

    describe('blob links', () => {
      test('linkBlob links a blob to one repository, idempotently; false for an unknown repository', async () => {
        await s.createRepository('a', T0);
        await s.createRepository('b', T0);
        const d = absent();
        assert.equal(await s.getLinkedBlob('a', d), undefined);
        assert.equal(await s.linkBlob('a', d, 1234, T0), true);
        assert.equal(await s.linkBlob('a', d, 1234, at(1)), true);
        assert.deepEqual(await s.getLinkedBlob('a', d), { digest: d, size: 1234 });
        assert.equal(await s.getLinkedBlob('b', d), undefined);
        assert.equal(await s.linkBlob('missing', d, 1234, T0), false);
        assert.equal(await s.getLinkedBlob('missing', d), undefined);
      });

      test('unlinkBlob removes one link; false when there was none', async () => {
        await s.createRepository('a', T0);
        await s.createRepository('b', T0);
        const d = absent();
        await s.linkBlob('a', d, 5, T0);
        await s.linkBlob('b', d, 5, T0);
        assert.equal(await s.unlinkBlob('a', d), true);
        assert.equal(await s.unlinkBlob('a', d), false);
        assert.equal(await s.unlinkBlob('missing', d), false);
        assert.equal(await s.getLinkedBlob('a', d), undefined);
        assert.deepEqual(await s.getLinkedBlob('b', d), { digest: d, size: 5 });
      });

      test("unlinkBlob answers 'referenced' and keeps the link while a manifest of that repository uses the blob", async () => {
        const m = await repoWithImage('a');
        await s.createRepository('b', T0);
        const [used] = m.blobDigests;
        await s.linkBlob('b', used, 100, T0);
        assert.equal((await put('a', m)).ok, true);
        assert.equal(await s.unlinkBlob('a', used), 'referenced');
        assert.deepEqual(await s.getLinkedBlob('a', used), { digest: used, size: 100 });
        assert.equal(await s.unlinkBlob('b', used), true, 'another repository without the manifest may unlink it');
        assert.equal(await s.deleteManifest('a', m.digest), true);
        assert.equal(await s.unlinkBlob('a', used), true);
      });
    });

    describe('uploads', () => {
      test('createUpload registers a session; false for an unknown repository', async () => {
        await s.createRepository('a', T0);
        const id = randomUUID();
        assert.equal(await s.createUpload({ id, repo: 'a', startedAt: at(3) }), true);
        assert.deepEqual(await s.getUpload(id), { id, repo: 'a', startedAt: at(3) });
        const orphan = randomUUID();
        assert.equal(await s.createUpload({ id: orphan, repo: 'missing', startedAt: T0 }), false);
        assert.equal(await s.getUpload(orphan), undefined);
      });

      test('deleteUpload removes a session and ignores unknown ids', async () => {
        await s.createRepository('a', T0);
        const id = randomUUID();
        await s.createUpload({ id, repo: 'a', startedAt: T0 });
        await s.deleteUpload(id);
        await s.deleteUpload(id);
        await s.deleteUpload(randomUUID());
        assert.equal(await s.getUpload(id), undefined);
        assert.deepEqual(await s.listUploadsStartedBefore(at(100)), []);
      });

      test('listUploadsStartedBefore returns the sessions started strictly before the cutoff', async () => {
        await s.createRepository('a', T0);
        await s.createRepository('b', T0);
        const ids = [randomUUID(), randomUUID(), randomUUID()];
        await s.createUpload({ id: ids[0], repo: 'a', startedAt: at(0) });
        await s.createUpload({ id: ids[1], repo: 'b', startedAt: at(10) });
        await s.createUpload({ id: ids[2], repo: 'a', startedAt: at(20) });
        const before = async (d: Date) => (await s.listUploadsStartedBefore(d)).sort((x, y) => x.startedAt.getTime() - y.startedAt.getTime());
        assert.deepEqual(await before(at(0)), []);
        assert.deepEqual(await before(at(10)), [{ id: ids[0], repo: 'a', startedAt: at(0) }]);
        assert.deepEqual((await before(at(21))).map((u) => u.id), ids);
      });
    });

    describe('manifests', () => {
      test('putManifest reports a missing repository', async () => {
        assert.deepEqual(await put('missing', manifest()), { ok: false, reason: 'repository' });
      });

      test('putManifest reports a blob not linked to the repository and stores nothing', async () => {
        const m = await repoWithImage('a');
        await s.createRepository('b', T0);
        const other = absent();
        await s.linkBlob('b', other, 1, T0);
        for (const missing of [absent(), other]) {
          const bad = { ...m, blobDigests: [...m.blobDigests, missing] };
          let asked = false;
          assert.deepEqual(await put('a', bad, 'v1', () => { asked = true; }), { ok: false, reason: 'missing', digest: missing });
          assert.equal(asked, false);
        }
        assert.equal(await s.getManifest('a', m.digest), undefined);
        assert.deepEqual(await tagNames(s, 'a', undefined, 10), []);
      });

      test('putManifest reports a child manifest missing from the repository and stores nothing', async () => {
        const child = await repoWithImage('a');
        await s.createRepository('b', T0);
        assert.equal((await put('a', child)).ok, true);
        const absentChild = absent();
        const index = manifest({ mediaType: MT_INDEX, childDigests: [child.digest, absentChild] });
        assert.deepEqual(await put('a', index, 'multi'), { ok: false, reason: 'missing', digest: absentChild });
        assert.deepEqual(await put('b', manifest({ mediaType: MT_INDEX, childDigests: [child.digest] })), { ok: false, reason: 'missing', digest: child.digest });
        assert.equal(await s.getManifest('a', index.digest), undefined);
        assert.equal(await s.getManifestByTag('a', 'multi'), undefined);
        const good = manifest({ mediaType: MT_INDEX, childDigests: [child.digest] });
        assert.deepEqual(await put('a', good, 'multi'), { ok: true, created: true });
      });

      test('putManifest stores the exact bytes and fields, idempotently by digest', async () => {
        const m = await repoWithImage('a', { artifactType: 'application/vnd.example+json', subject: absent(), annotations: { k: 'v' } });
        assert.deepEqual(await s.putManifest('a', m, undefined, at(7), allow), { ok: true, created: true });
        assert.deepEqual(await s.putManifest('a', m, 'again', at(8), allow), { ok: true, created: false });
        const got = await s.getManifest('a', m.digest);
        assert.ok(got);
        assert.ok(Buffer.isBuffer(got.bytes) && got.bytes.equals(m.bytes), 'exact bytes');
        assert.deepEqual({ ...got, bytes: undefined, pushedAt: undefined }, {
          repo: 'a', digest: m.digest, mediaType: m.mediaType, size: m.size, bytes: undefined,
          artifactType: m.artifactType, subject: m.subject, pushedAt: undefined,
        });
        assert.ok(got.pushedAt instanceof Date);
        assert.equal((await s.getManifestByTag('a', 'again'))?.digest, m.digest);
        assert.equal(await s.getManifest('a', absent()), undefined);
        assert.equal(await s.getManifest('b', m.digest), undefined);
        assert.equal(await s.getManifestByTag('a', 'nope'), undefined);
      });

      test('a tag moves to the newest manifest; the decision sees the current and next digests', async () => {
        const a = await repoWithImage('r');
        const b = manifest({ blobDigests: a.blobDigests });
        const calls: unknown[] = [];
        const record: TagDecision = (repo, tag, current, next) => { calls.push([repo.name, tag, current, next]); };
        await put('r', a, 'latest', record);
        await put('r', b, 'latest', record);
        await put('r', b, 'latest', record);
        await put('r', a, undefined, record);
        assert.deepEqual(calls, [['r', 'latest', undefined, a.digest], ['r', 'latest', a.digest, b.digest], ['r', 'latest', b.digest, b.digest]]);
        assert.ok((await s.getManifestByTag('r', 'latest'))?.bytes.equals(b.bytes));
        assert.ok((await s.getManifest('r', a.digest))?.bytes.equals(a.bytes));
      });

      test('a throwing tag decision aborts the whole write', async () => {
        const a = await repoWithImage('r');
        await put('r', a, 'v1');
        const b = manifest({ blobDigests: a.blobDigests, subject: a.digest, artifactType: 'x/sig' });
        const deny: TagDecision = () => { throw new Error('tag is immutable'); };
        await assert.rejects(put('r', b, 'v1', deny), /tag is immutable/);
        await assert.rejects(put('r', b, 'v2', deny), /tag is immutable/);
        assert.equal(await s.getManifest('r', b.digest), undefined);
        assert.equal((await s.getManifestByTag('r', 'v1'))?.digest, a.digest);
        assert.deepEqual(await tagNames(s, 'r', undefined, 10), ['v1']);
        assert.deepEqual(await s.listReferrers('r', a.digest), []);
        assert.deepEqual(await put('r', b, 'v2'), { ok: true, created: true }, 'created: the aborted write left nothing');
      });

      test('deleteManifest removes the manifest and every tag pointing to it', async () => {
        const a = await repoWithImage('r');
        const b = manifest({ blobDigests: a.blobDigests });
        for (const t of ['t1', 't2']) await put('r', a, t);
        await put('r', b, 't3');
        assert.equal(await s.deleteManifest('r', a.digest), true);
        assert.equal(await s.deleteManifest('r', a.digest), false);
        assert.equal(await s.deleteManifest('missing', b.digest), false);
        assert.equal(await s.getManifest('r', a.digest), undefined);
        assert.equal(await s.getManifestByTag('r', 't1'), undefined);
        assert.deepEqual(await tagNames(s, 'r', undefined, 10), ['t3']);
        assert.deepEqual(await put('r', a, 't1'), { ok: true, created: true });
      });

      test('deleteTag removes only the tag; the manifest stays', async () => {
        const a = await repoWithImage('r');
        await put('r', a, 'v1');
        await put('r', a, 'v2');
        assert.equal(await s.deleteTag('r', 'v1'), true);
        assert.equal(await s.deleteTag('r', 'v1'), false);
        assert.equal(await s.deleteTag('missing', 'v2'), false);
        assert.equal(await s.getManifestByTag('r', 'v1'), undefined);
        assert.equal((await s.getManifestByTag('r', 'v2'))?.digest, a.digest);
        assert.equal((await s.getManifest('r', a.digest))?.digest, a.digest);
      });

      test('tag pages are in byte order and paginate with an exclusive cursor', async () => {
        const a = await repoWithImage('r');
        await repoWithImage('other');
        const tags = ['latest', 'v1', 'V1', '1.0', '1.0-rc', '_x', 'a-b', 'a.b', 'a_b', 'Z', 'z'];
        for (const t of shuffled(tags)) await put('r', a, t);
        const sorted = [...tags].sort(byteOrder);
        assert.deepEqual(await tagNames(s, 'r', undefined, 100), sorted);
        const pages: string[] = [];
        for (let after: string | undefined, page: string[]; (page = await tagNames(s, 'r', after, 3)).length > 0; after = page[page.length - 1]) {
          assert.ok(page.length <= 3);
          pages.push(...page);
        }
        assert.deepEqual(pages, sorted);
        assert.deepEqual(await tagNames(s, 'r', 'a', 2), sorted.slice(sorted.indexOf('a-b'), sorted.indexOf('a-b') + 2));
        assert.deepEqual(await tagNames(s, 'other', undefined, 100), []);
      });

      test('listTagsJson pages as JSON text, with the last name and whether more follow', async () => {
        const a = await repoWithImage('r');
        await repoWithImage('other');
        // Enough names, inserted out of order, that an unordered aggregate would show.
        const tags = Array.from({ length: 3000 }, (_, i) => `t${(i * 7919) % 3000}-${i % 3 === 0 ? 'A' : 'b'}`).concat(['_x', 'Z', 'z', '1.0']);
        for (const t of shuffled(tags)) await put('r', a, t);
        const sorted = [...tags].sort(byteOrder);
        const whole = (await s.listTagsJson('r', undefined, 1_000_000))!;
        assert.deepEqual(JSON.parse(whole.json), sorted);
        assert.deepEqual(whole, { json: JSON.stringify(sorted), last: sorted[sorted.length - 1], more: false });
        const pages: string[] = [];
        let after: string | undefined;
        for (let i = 0; ; i++) {
          const page = (await s.listTagsJson('r', after, 1000))!;
          const names = JSON.parse(page.json) as string[];
          assert.deepEqual(names, sorted.slice(pages.length, pages.length + 1000), `page ${i}`);
          assert.equal(page.last, names[names.length - 1]);
          pages.push(...names);
          if (!page.more) break;
          after = page.last;
        }
        assert.deepEqual(pages, sorted);
        assert.deepEqual(await s.listTagsJson('r', sorted[sorted.length - 2], 1), { json: JSON.stringify([sorted[sorted.length - 1]]), last: sorted[sorted.length - 1], more: false });
        assert.deepEqual(await s.listTagsJson('r', sorted[0], 1), { json: JSON.stringify([sorted[1]]), last: sorted[1], more: true });
        assert.deepEqual(await s.listTagsJson('r', undefined, 0), { json: '[]', more: false });
        assert.deepEqual(await s.listTagsJson('r', sorted[sorted.length - 1], 10), { json: '[]', more: false });
        assert.deepEqual(await s.listTagsJson('other', undefined, 10), { json: '[]', more: false });
        assert.equal(await s.listTagsJson('missing', undefined, 10), undefined, 'no such repository');
        assert.equal(await s.listTagsJson('missing', undefined, 0), undefined, 'no such repository');
        assert.deepEqual(await s.listTagsJson('r', sorted[5], 3), { json: JSON.stringify(sorted.slice(6, 9)), last: sorted[8], more: true });
        assert.deepEqual(await s.listTagsJson('r', sorted[sorted.length - 4], 3), { json: JSON.stringify(sorted.slice(-3)), last: sorted[sorted.length - 1], more: false });
      });

      test('listReferrers returns the manifests whose subject matches, optionally of one artifactType', async () => {
        const subject = await repoWithImage('r');
        await put('r', subject);
        await repoWithImage('other');
        const sig = manifest({ subject: subject.digest, artifactType: 'application/vnd.example.sig' });
        const sbom = manifest({ subject: subject.digest, artifactType: 'application/vnd.example.sbom', annotations: { 'org.example': 'yes' } });
        const unrelated = manifest({ subject: absent(), artifactType: 'application/vnd.example.sig' });
        for (const m of [sig, sbom, unrelated]) assert.equal((await put('r', m)).ok, true);
        assert.equal((await put('other', manifest({ subject: subject.digest, artifactType: 'application/vnd.example.sig' }))).ok, true);
        const view = (m: NewManifest) => ({ mediaType: m.mediaType, digest: m.digest, size: m.size, artifactType: m.artifactType,
          ...(m.annotations ? { annotations: m.annotations } : {}) });
        const sortD = <T extends { digest: string }>(xs: T[]) => xs.sort((x, y) => x.digest.localeCompare(y.digest));
        assert.deepEqual(sortD(await s.listReferrers('r', subject.digest)), sortD([view(sig), view(sbom)]));
        assert.deepEqual(await s.listReferrers('r', subject.digest, 'application/vnd.example.sig'), [view(sig)]);
        assert.deepEqual(await s.listReferrers('r', subject.digest, 'application/vnd.example.none'), []);
        assert.deepEqual(await s.listReferrers('r', absent()), []);
        await s.deleteManifest('r', sig.digest);
        assert.deepEqual(await s.listReferrers('r', subject.digest), [view(sbom)]);
      });
    });
  });
}
