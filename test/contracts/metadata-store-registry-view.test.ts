// The MetadataStore contract run against registry views (services/registry-view.ts) on SQLite: the
// default registry's view and another account's, each over a store where other registries hold
// repositories, settings, uploads and pull-time exclusions with the same names. Every listing,
// lookup and decision of the contract must see only the view's own registry. Then the paging of
// listings across other registries' key ranges, checked directly.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openSqliteMetadataStore } from '../../src/adapters/metadata-sqlite/index.ts';
import type { MetadataStore } from '../../src/ports/metadata-store.ts';
import { registryView } from '../../src/services/registry-view.ts';
import { metadataStoreContract } from './metadata-store.contract.ts';

const T0 = new Date('2024-05-01T12:00:00.000Z');
const NOISE_NAMES = ['a', 'b', 'team/app', 'team/other', 'repo', 'zz/last'];

/** Fills the registries of `prefixes` (other than the one under test) with look-alike records. */
async function noise(raw: MetadataStore, prefixes: string[]): Promise<void> {
  for (const p of prefixes) {
    const view = registryView(raw, p);
    for (const n of NOISE_NAMES) await view.createRepository(n, T0, {}, { owner: p || 'default' });
    await view.setRepositoryPolicy('team/app', '{"Version":"2012-10-17","Statement":[]}');
    await view.putSetting('registry-policy', `{"noise":"${p}"}`);
    await view.addPullTimeExclusion('arn:aws:iam::123456789012:user/noise', T0, 100);
    await view.putLifecyclePolicy('team/app', '{"rules":[]}');
    await view.createUpload({ id: `noise-${p}`, repo: 'team/app', startedAt: T0 });
  }
}

for (const [label, prefix, others] of [
  ['default registry beside two others', '', ['111111111111:', '999999999999:']],
  ['account 222222222222 beside the default and two others', '222222222222:', ['', '111111111111:', '333333333333:']],
] as const) {
  metadataStoreContract(`registry view, ${label}`, async () => {
    const raw = openSqliteMetadataStore({ path: ':memory:' });
    await noise(raw, [...others]);
    const view = registryView(raw, prefix);
    return { store: view, cleanup: () => raw.close() };
  });
}

describe('registry views over one store', () => {
  test('listings page through other registries\' ranges without showing or skipping a name', async () => {
    const raw = openSqliteMetadataStore({ path: ':memory:' });
    try {
      const def = registryView(raw, '');
      const b = registryView(raw, '222222222222:');
      // Default names around and between the other registries' ranges, in byte order: '0…' < '1…:' < '2…:' < 'z…'.
      const defaults = ['000/a', '111111111111', '111111111111-x', '111111111111z', '2/b', '222222222222/c', 'zz'];
      for (const n of defaults) await def.createRepository(n, T0);
      for (let i = 0; i < 7; i++) await registryView(raw, '111111111111:').createRepository(`r${i}`, T0);
      for (const n of ['a', 'm/x', 'zz']) await b.createRepository(n, T0);
      for (const limit of [1, 2, 3, 100]) {
        const seen: string[] = [];
        for (let after: string | undefined; ;) {
          const page = await def.listRepositories(after, limit);
          seen.push(...page);
          if (page.length < limit) break;
          after = page[page.length - 1];
        }
        assert.deepEqual(seen, [...defaults].sort(), `default registry, pages of ${limit}`);
        const records: string[] = [];
        for (let after: string | undefined; ;) {
          const page = await b.listRepositoryRecords(after, limit);
          records.push(...page.map((r) => r.name));
          if (page.length < limit) break;
          after = page[page.length - 1].name;
        }
        assert.deepEqual(records, ['a', 'm/x', 'zz'], `account 222222222222, pages of ${limit}`);
      }
      assert.deepEqual((await b.repositoryStats(undefined, 10)).map((s) => s.name), ['a', 'm/x', 'zz']);
      assert.equal((await raw.listRepositories(undefined, 100)).length, defaults.length + 7 + 3, 'the store itself sees every registry');
    } finally {
      await raw.close();
    }
  });

  test('upload sessions, settings and exclusions of one registry are invisible to another', async () => {
    const raw = openSqliteMetadataStore({ path: ':memory:' });
    try {
      const def = registryView(raw, '');
      const b = registryView(raw, '222222222222:');
      await def.createRepository('team/app', T0);
      await b.createRepository('team/app', T0);
      assert.equal(await b.createUpload({ id: 'u-b', repo: 'team/app', startedAt: T0 }), true);
      assert.equal(await def.getUpload('u-b'), undefined, 'the same repository name in another registry is not the session\'s');
      assert.deepEqual(await b.getUpload('u-b'), { id: 'u-b', repo: 'team/app', startedAt: T0 });
      await b.putSetting('registry-policy', 'B');
      assert.equal(await def.getSetting('registry-policy'), undefined);
      assert.equal(await b.getSetting('registry-policy'), 'B');
      const arn = 'arn:aws:iam::222222222222:user/ci';
      await b.addPullTimeExclusion(arn, T0, 10);
      assert.deepEqual(await def.listPullTimeExclusions(undefined, 10), []);
      assert.deepEqual((await b.listPullTimeExclusions(undefined, 10)).map((e) => e.principalArn), [arn]);
      assert.equal(await def.removePullTimeExclusion(arn), false);
      assert.equal(await b.removePullTimeExclusion(arn), true);
    } finally {
      await raw.close();
    }
  });
});
