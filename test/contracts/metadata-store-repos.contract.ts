// The MetadataStore contract's repository-record part (settings, policy, resource tags, registry settings), run by metadata-store.contract.ts.
import { beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, type RepositorySettings } from '../../src/domain/repository.ts';
import type { MetadataStore, NewManifest, Repository, TagDecision } from '../../src/ports/metadata-store.ts';
import { absent, byteOrder, shuffled } from './support.ts';

export interface MetadataContractContext {
  readonly store: MetadataStore;
  /** A fresh manifest (not stored) with no references. */
  manifest(): NewManifest;
}

const T0 = new Date('2024-05-01T12:00:00.000Z');
const allow: TagDecision = () => {};

/** The settings of a repository record, without undefined members. */
function settingsOf(r: Repository | undefined): Partial<RepositorySettings> | undefined {
  if (!r) return undefined;
  const { imageTagMutability, imageTagMutabilityExclusionFilters, scanOnPush, encryptionType, kmsKey } = r;
  return JSON.parse(JSON.stringify({ imageTagMutability, imageTagMutabilityExclusionFilters, scanOnPush, encryptionType, kmsKey }));
}

export function metadataRepositoryRecordContract(ctx: MetadataContractContext): void {
  describe('repository records', () => {
    let s: MetadataStore;
    beforeEach(() => { s = ctx.store; });

    test('createRepository applies the default settings unless given, and stores resource tags', async () => {
      assert.deepEqual(settingsOf(await s.createRepository('plain', T0)), { ...DEFAULT_SETTINGS });
      const custom: RepositorySettings = {
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'dev-*' }],
        scanOnPush: true, encryptionType: 'KMS', kmsKey: 'arn:aws:kms:us-east-1:000000000000:key/k',
      };
      assert.deepEqual(settingsOf(await s.createRepository('custom', T0, custom, { team: 'a', env: 'prod' })), custom);
      assert.deepEqual(settingsOf(await s.getRepository('custom')), custom);
      assert.deepEqual(await s.getResourceTags('custom'), { team: 'a', env: 'prod' });
      assert.deepEqual(await s.getResourceTags('plain'), {});
      assert.equal(await s.createRepository('custom', T0, { scanOnPush: false }), undefined);
      assert.deepEqual(settingsOf(await s.getRepository('custom')), custom, 'a refused create changes nothing');
    });

    test('updateRepository changes only the patched settings; undefined when absent', async () => {
      await s.createRepository('r', T0, { scanOnPush: true });
      const updated = await s.updateRepository('r', { imageTagMutability: 'IMMUTABLE' });
      assert.equal(updated?.name, 'r');
      assert.equal(updated?.createdAt.getTime(), T0.getTime());
      assert.deepEqual(settingsOf(updated), { ...DEFAULT_SETTINGS, scanOnPush: true, imageTagMutability: 'IMMUTABLE' });
      assert.deepEqual(settingsOf(await s.getRepository('r')), settingsOf(updated));
      assert.equal(await s.updateRepository('missing', { scanOnPush: true }), undefined);
      assert.equal(await s.getRepository('missing'), undefined);
    });

    test('the tag decision sees the repository\'s current settings', async () => {
      await s.createRepository('r', T0);
      await s.updateRepository('r', { imageTagMutability: 'IMMUTABLE' });
      const seen: string[] = [];
      await s.putManifest('r', ctx.manifest(), 'v1', T0, (repo) => { seen.push(repo.imageTagMutability); });
      assert.deepEqual(seen, ['IMMUTABLE']);
    });

    test('accessVersion moves with what access decisions read, and not with pushes', async () => {
      const moved = async (what: string, change: () => Promise<unknown>, expected = true) => {
        const before = await s.accessVersion();
        await change();
        assert.equal((await s.accessVersion()) !== before, expected, what);
      };
      await moved('createRepository', () => s.createRepository('av', T0));
      await moved('setRepositoryPolicy', () => s.setRepositoryPolicy('av', '{"Version":"2012-10-17","Statement":[]}'));
      await moved('removing the policy', () => s.setRepositoryPolicy('av', undefined));
      await moved('changeResourceTags', () => s.changeResourceTags('av', { team: 'a' }, [], 50));
      await moved('putSetting', () => s.putSetting('registry-policy', '{}'));
      await moved('a push', () => s.putManifest('av', ctx.manifest(), 'v1', T0, () => {}), false);
      await moved('updateRepository', () => s.updateRepository('av', { scanOnPush: true }), false);
      await moved('deleteRepository', () => s.deleteRepository('av'));
    });

    test('listRepositoryRecords returns full records in byte order, paginated like listRepositories', async () => {
      const names = ['b', 'a/b', 'a-b', 'a.b', 'a_b', 'ab', 'a'];
      for (const n of shuffled(names)) await s.createRepository(n, T0, n === 'ab' ? { scanOnPush: true } : {});
      const sorted = [...names].sort(byteOrder);
      const all = await s.listRepositoryRecords(undefined, 100);
      assert.deepEqual(all.map((r) => r.name), sorted);
      assert.equal(all.find((r) => r.name === 'ab')?.scanOnPush, true);
      assert.deepEqual((await s.listRepositoryRecords('a-b', 2)).map((r) => r.name), await s.listRepositories('a-b', 2));
      assert.deepEqual(await s.listRepositoryRecords('b', 10), []);
    });

    test('deleteRepository with onlyIfEmpty refuses while the repository holds images', async () => {
      await s.createRepository('r', T0);
      const m = ctx.manifest();
      await s.putManifest('r', m, 'latest', T0, allow);
      assert.equal(await s.deleteRepository('r', { onlyIfEmpty: true }), 'not-empty');
      assert.equal((await s.getManifestByTag('r', 'latest'))?.digest, m.digest, 'a refused delete removes nothing');
      await s.deleteManifest('r', m.digest);
      assert.equal(await s.deleteRepository('r', { onlyIfEmpty: true }), true);
      assert.equal(await s.getRepository('r'), undefined);
      assert.equal(await s.deleteRepository('r', { onlyIfEmpty: true }), false);
    });

    test('a repository policy is set, replaced and removed; absent for unknown repositories', async () => {
      await s.createRepository('r', T0);
      assert.deepEqual(await s.getRepositoryPolicy('r'), { text: undefined });
      assert.equal(await s.setRepositoryPolicy('r', '{"Version":"2012-10-17"}'), true);
      assert.equal(await s.setRepositoryPolicy('r', '{"Version":"2008-10-17"}'), true);
      assert.deepEqual(await s.getRepositoryPolicy('r'), { text: '{"Version":"2008-10-17"}' });
      assert.equal(await s.setRepositoryPolicy('r', undefined), true);
      assert.deepEqual(await s.getRepositoryPolicy('r'), { text: undefined });
      assert.equal(await s.getRepositoryPolicy('missing'), undefined);
      assert.equal(await s.setRepositoryPolicy('missing', '{}'), false);
      await s.setRepositoryPolicy('r', '{}');
      await s.deleteRepository('r');
      await s.createRepository('r', T0);
      assert.deepEqual(await s.getRepositoryPolicy('r'), { text: undefined }, 'policy deleted with the repository');
    });

    test('resource tags are added, overwritten and removed, never past the maximum', async () => {
      await s.createRepository('r', T0, {}, { a: '1' });
      assert.equal(await s.changeResourceTags('r', { b: '2', a: 'one' }, [], 3), true);
      assert.deepEqual(await s.getResourceTags('r'), { a: 'one', b: '2' });
      assert.equal(await s.changeResourceTags('r', {}, ['b', 'not-there'], 3), true);
      assert.deepEqual(await s.getResourceTags('r'), { a: 'one' });
      assert.equal(await s.changeResourceTags('r', { c: '3', d: '4', e: '5' }, [], 3), 'too-many');
      assert.deepEqual(await s.getResourceTags('r'), { a: 'one' }, 'a refused change changes nothing');
      assert.equal(await s.changeResourceTags('r', { c: '3', d: '4', e: '5' }, ['a'], 3), true, 'removals count before the limit');
      assert.equal(await s.changeResourceTags('missing', { a: '1' }, [], 3), false);
      assert.equal(await s.getResourceTags('missing'), undefined);
      await s.deleteRepository('r');
      await s.createRepository('r', T0);
      assert.deepEqual(await s.getResourceTags('r'), {}, 'tags deleted with the repository');
    });

    test('resolveTag follows the tag; undefined for unknown tags and repositories', async () => {
      await s.createRepository('r', T0);
      const [a, b] = [ctx.manifest(), ctx.manifest()];
      await s.putManifest('r', a, 't', T0, allow);
      assert.equal(await s.resolveTag('r', 't'), a.digest);
      await s.putManifest('r', b, 't', T0, allow);
      assert.equal(await s.resolveTag('r', 't'), b.digest);
      await s.deleteTag('r', 't');
      assert.equal(await s.resolveTag('r', 't'), undefined);
      assert.equal(await s.resolveTag('missing', 't'), undefined);
      assert.equal(await s.resolveTag('r', absent()), undefined);
    });

    test('registry settings are stored, replaced and removed by name', async () => {
      assert.equal(await s.getSetting('registry-policy'), undefined);
      await s.putSetting('registry-policy', '{"a":1}');
      await s.putSetting('registry-policy', '{"a":2}');
      await s.putSetting('other', 'x');
      assert.equal(await s.getSetting('registry-policy'), '{"a":2}');
      await s.putSetting('registry-policy', undefined);
      await s.putSetting('never-set', undefined);
      assert.equal(await s.getSetting('registry-policy'), undefined);
      assert.equal(await s.getSetting('other'), 'x');
    });
  });
}
