// Runs the MetadataStore contract against the SQLite adapter, on a temporary file and in memory.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { openSqliteMetadataStore, SchemaTooNewError } from '../../src/adapters/metadata-sqlite/index.ts';
import { MIGRATIONS } from '../../src/adapters/metadata-sqlite/migrations.ts';
import { metadataStoreContract } from './metadata-store.contract.ts';

metadataStoreContract('sqlite file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-meta-'));
  return {
    store: openSqliteMetadataStore({ path: join(dir, 'wharf.db') }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

metadataStoreContract('sqlite :memory:', async () => ({
  store: openSqliteMetadataStore({ path: ':memory:' }),
  cleanup: async () => {},
}));

test('a database made by a newer Wharf (user_version past the known migrations) is refused, not changed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-meta-'));
  try {
    const path = join(dir, 'wharf.db');
    const fresh = openSqliteMetadataStore({ path });
    await fresh.close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    assert.throws(() => openSqliteMetadataStore({ path }), (e: Error) => e instanceof SchemaTooNewError && /newer Wharf .*downgrades are not supported/.test(e.message));
    const after = new Database(path, { readonly: true });
    assert.equal(after.pragma('user_version', { simple: true }), MIGRATIONS.length + 1, 'the refused database keeps its version');
    after.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
