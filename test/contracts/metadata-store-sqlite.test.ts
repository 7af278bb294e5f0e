// Runs the MetadataStore contract against the SQLite adapter, on a temporary file and in memory.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteMetadataStore } from '../../src/adapters/metadata-sqlite/index.ts';
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
