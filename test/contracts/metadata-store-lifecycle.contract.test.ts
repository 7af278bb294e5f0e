// MetadataStore contract for lifecycle policies: policy texts and lastEvaluatedAt, the image facts an
// evaluation reads (tags, times, archive status, index references), and previews (one per repository,
// started once at a time, finished only by the run that started them). Run against the SQLite adapter.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteMetadataStore } from '../../src/adapters/metadata-sqlite/index.ts';
import type { LifecycleAction } from '../../src/domain/lifecycle/types.ts';
import type { MetadataStore, NewManifest, TagDecision } from '../../src/ports/metadata-store.ts';
import { manifest } from './metadata-store.contract.ts';

const T0 = new Date('2024-05-01T12:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const allow: TagDecision = () => {};
const POLICY = '{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}';

function lifecycleContract(name: string, open: () => MetadataStore): void {
  describe(`MetadataStore lifecycle methods: ${name}`, () => {
    let s: MetadataStore;
    beforeEach(async () => { s = open(); await s.createRepository('r', T0); await s.createRepository('other', T0); });
    afterEach(async () => { await s.close(); });

    async function put(m: NewManifest, tag?: string, repo = 'r', when = T0): Promise<string> {
      assert.equal((await s.putManifest(repo, m, tag, when, allow)).ok, true);
      return m.digest;
    }

    describe('policies', () => {
      test('a repository without a policy has an empty record; an unknown one has none', async () => {
        assert.deepEqual(await s.getLifecyclePolicy('r'), {});
        assert.equal(await s.getLifecyclePolicy('missing'), undefined);
        assert.equal(await s.putLifecyclePolicy('missing', POLICY), undefined);
        assert.equal(await s.setLifecycleEvaluatedAt('missing', T0), false);
      });

      test('putLifecyclePolicy stores the text verbatim and returns the previous record', async () => {
        assert.deepEqual(await s.putLifecyclePolicy('r', POLICY), {});
        assert.deepEqual(await s.getLifecyclePolicy('r'), { text: POLICY });
        assert.equal(await s.setLifecycleEvaluatedAt('r', at(5)), true);
        const spaced = ` ${POLICY}\n`;
        assert.deepEqual(await s.putLifecyclePolicy('r', spaced), { text: POLICY, evaluatedAt: at(5) });
        assert.deepEqual(await s.getLifecyclePolicy('r'), { text: spaced, evaluatedAt: at(5) }, 'replacing the text keeps lastEvaluatedAt');
        assert.deepEqual(await s.getLifecyclePolicy('other'), {}, 'other repositories are untouched');
      });

      test('removing the policy returns it and forgets lastEvaluatedAt with it', async () => {
        await s.putLifecyclePolicy('r', POLICY);
        await s.setLifecycleEvaluatedAt('r', at(1));
        assert.deepEqual(await s.putLifecyclePolicy('r', undefined), { text: POLICY, evaluatedAt: at(1) });
        assert.deepEqual(await s.getLifecyclePolicy('r'), {});
        assert.deepEqual(await s.putLifecyclePolicy('r', undefined), {}, 'removing again reports there was none');
      });

      test('listLifecyclePolicies lists only repositories with a policy, in name order, paged', async () => {
        for (const n of ['c/app', 'a/app', 'b/app']) { await s.createRepository(n, T0); await s.putLifecyclePolicy(n, `${n}:${POLICY}`); }
        assert.deepEqual(await s.listLifecyclePolicies(undefined, 10), [
          { repo: 'a/app', text: `a/app:${POLICY}` }, { repo: 'b/app', text: `b/app:${POLICY}` }, { repo: 'c/app', text: `c/app:${POLICY}` }]);
        assert.deepEqual((await s.listLifecyclePolicies(undefined, 2)).map((p) => p.repo), ['a/app', 'b/app']);
        assert.deepEqual((await s.listLifecyclePolicies('b/app', 2)).map((p) => p.repo), ['c/app']);
        await s.putLifecyclePolicy('b/app', undefined);
        await s.deleteRepository('c/app');
        assert.deepEqual((await s.listLifecyclePolicies(undefined, 10)).map((p) => p.repo), ['a/app']);
      });

      test('deleting a repository deletes its policy; a new repository of that name starts without one', async () => {
        await s.putLifecyclePolicy('r', POLICY);
        await s.deleteRepository('r');
        await s.createRepository('r', T0);
        assert.deepEqual(await s.getLifecyclePolicy('r'), {});
      });
    });

    describe('image facts', () => {
      test('listLifecycleImages reports tags, push and pull times, status and index references in digest order', async () => {
        const tagged = manifest();
        await put(tagged, 'b', 'r', at(1));
        await put(tagged, 'a', 'r', at(9));
        const child = manifest();
        await put(child, undefined, 'r', at(2));
        const index = manifest({ childDigests: [child.digest] });
        await put(index, 'multi', 'r', at(3));
        const loose = manifest();
        await put(loose, undefined, 'r', at(4));
        await s.recordPull('r', loose.digest, at(20), 0);

        const facts = await s.listLifecycleImages('r', undefined, 10);
        assert.deepEqual(facts.map((f) => f.digest), [tagged, child, index, loose].map((m) => m.digest).sort());
        const by = (d: string) => facts.find((f) => f.digest === d)!;
        assert.deepEqual(by(tagged.digest), {
          digest: tagged.digest, tags: ['a', 'b'], pushedAt: at(1), storageClass: 'STANDARD', imageStatus: 'ACTIVE', referencedByIndex: false,
        }, 'pushedAt is the first push; tags sorted; no pull yet');
        assert.equal(by(child.digest).referencedByIndex, true);
        assert.deepEqual(by(child.digest).tags, []);
        assert.equal(by(index.digest).referencedByIndex, false);
        assert.deepEqual(by(loose.digest).lastPulledAt, at(20));
      });

      test('archived images are included with their class and archive time; an index in another repository does not count', async () => {
        const m = manifest();
        await put(m, 'old');
        await put(m, undefined, 'other');
        await put(manifest({ childDigests: [m.digest] }), 'idx', 'other');
        const change = await s.changeImageStatus('r', m.digest, ['ACTIVE'], 'ARCHIVED', at(30));
        assert.equal(change?.ok, true);
        const [f] = await s.listLifecycleImages('r', undefined, 10);
        assert.deepEqual(f, {
          digest: m.digest, tags: ['old'], pushedAt: T0, lastArchivedAt: at(30), storageClass: 'ARCHIVE', imageStatus: 'ARCHIVED', referencedByIndex: false,
        });
        assert.equal((await s.listLifecycleImages('other', undefined, 10)).find((x) => x.digest === m.digest)?.referencedByIndex, true);
      });

      test('listLifecycleImages pages by digest; unknown repositories have no images', async () => {
        const digests: string[] = [];
        for (let i = 0; i < 5; i++) digests.push(await put(manifest()));
        digests.sort();
        const first = await s.listLifecycleImages('r', undefined, 2);
        assert.deepEqual(first.map((f) => f.digest), digests.slice(0, 2));
        const rest = await s.listLifecycleImages('r', first[1].digest, 10);
        assert.deepEqual(rest.map((f) => f.digest), digests.slice(2));
        assert.deepEqual(await s.listLifecycleImages('missing', undefined, 10), []);
      });
    });

    describe('previews', () => {
      const results: LifecycleAction[] = [
        { digest: 'sha256:' + 'a'.repeat(64), tags: ['v1', 'v2'], pushedAt: at(-100), type: 'EXPIRE', rulePriority: 1, storageClass: 'STANDARD' },
        { digest: 'sha256:' + 'b'.repeat(64), tags: [], pushedAt: at(-50), type: 'TRANSITION', targetStorageClass: 'ARCHIVE', rulePriority: 2, storageClass: 'STANDARD' },
      ];

      test('none before the first start; unknown repositories have none and cannot start one', async () => {
        assert.equal(await s.getLifecyclePreview('r'), undefined);
        assert.equal(await s.startLifecyclePreview('missing', POLICY, T0, at(-10)), undefined);
        assert.equal(await s.getLifecyclePreview('missing'), undefined);
      });

      test('one preview at a time: a second start is refused while the first is IN_PROGRESS', async () => {
        assert.equal(await s.startLifecyclePreview('r', POLICY, T0, at(-10)), 'started');
        assert.deepEqual(await s.getLifecyclePreview('r'), { text: POLICY, status: 'IN_PROGRESS', startedAt: T0 });
        assert.equal(await s.startLifecyclePreview('r', 'another', at(1), at(-9)), 'in-progress');
        assert.deepEqual(await s.getLifecyclePreview('r'), { text: POLICY, status: 'IN_PROGRESS', startedAt: T0 }, 'nothing changed');
        assert.equal(await s.startLifecyclePreview('other', POLICY, at(1), at(-9)), 'started', 'previews are per repository');
      });

      test('finishing stores status and results (times intact); only the run that started the preview can finish it, once', async () => {
        await s.startLifecyclePreview('r', POLICY, T0, at(-10));
        assert.equal(await s.finishLifecyclePreview('r', at(1), 'COMPLETE', []), false, 'another start time');
        assert.equal(await s.finishLifecyclePreview('r', T0, 'COMPLETE', results), true);
        assert.deepEqual(await s.getLifecyclePreview('r'), { text: POLICY, status: 'COMPLETE', startedAt: T0, results });
        assert.equal(await s.finishLifecyclePreview('r', T0, 'FAILED'), false, 'already finished');
        assert.equal(await s.finishLifecyclePreview('missing', T0, 'FAILED'), false);
      });

      test('a finished preview is replaced by the next start; FAILED has no results', async () => {
        await s.startLifecyclePreview('r', POLICY, T0, at(-10));
        await s.finishLifecyclePreview('r', T0, 'COMPLETE', results);
        assert.equal(await s.startLifecyclePreview('r', 'second', at(1), at(-9)), 'started');
        assert.deepEqual(await s.getLifecyclePreview('r'), { text: 'second', status: 'IN_PROGRESS', startedAt: at(1) });
        assert.equal(await s.finishLifecyclePreview('r', T0, 'COMPLETE', results), false, 'the replaced run cannot finish the new one');
        assert.equal(await s.finishLifecyclePreview('r', at(1), 'FAILED'), true);
        assert.deepEqual(await s.getLifecyclePreview('r'), { text: 'second', status: 'FAILED', startedAt: at(1) });
      });

      test('an IN_PROGRESS preview older than staleBefore may be taken over', async () => {
        await s.startLifecyclePreview('r', POLICY, T0, at(-10));
        assert.equal(await s.startLifecyclePreview('r', 'fresh', at(11), at(1)), 'started');
        assert.deepEqual(await s.getLifecyclePreview('r'), { text: 'fresh', status: 'IN_PROGRESS', startedAt: at(11) });
      });

      test('deleting the repository deletes its preview', async () => {
        await s.startLifecyclePreview('r', POLICY, T0, at(-10));
        await s.deleteRepository('r');
        await s.createRepository('r', T0);
        assert.equal(await s.getLifecyclePreview('r'), undefined);
      });
    });
  });
}

lifecycleContract('sqlite', () => openSqliteMetadataStore({ path: ':memory:' }));
