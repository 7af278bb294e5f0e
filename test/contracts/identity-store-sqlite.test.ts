// Runs the IdentityStore contract against the SQLite adapter (a file with a second connection, and in
// memory), and checks that migration 7 keeps the access keys of an older database working.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { openSqlite } from '../../src/adapters/metadata-sqlite/index.ts';
import { MIGRATIONS } from '../../src/adapters/metadata-sqlite/migrations.ts';
import { identityStoreContract } from './identity-store.contract.ts';

identityStoreContract('sqlite file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-identity-'));
  const path = join(dir, 'wharf.db');
  const opened = [openSqlite({ path })];
  return {
    store: opened[0].identity,
    second: () => {
      opened.push(openSqlite({ path }));
      return opened[opened.length - 1].identity;
    },
    cleanup: async () => {
      for (const o of opened) await o.meta.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}, { secondConnection: true });

identityStoreContract('sqlite :memory:', async () => {
  const { meta, identity } = openSqlite({ path: ':memory:' });
  return { store: identity, cleanup: () => meta.close() };
});

test('migration 7 keeps the access keys of an older database: same ids, secrets and status, still root keys', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-identity-'));
  try {
    const path = join(dir, 'wharf.db');
    const old = new Database(path);
    for (const m of MIGRATIONS.slice(0, 6)) old.exec(m.replace(/wharf_now_ms\(\)/g, '0'));
    old.pragma('user_version = 6');
    old.prepare('INSERT INTO access_keys (access_key_id, sealed_secret, principal_arn, status, created_at) VALUES (?, ?, ?, ?, ?)')
      .run('AKIAOLDROOT', 'sealed', 'arn:aws:iam::123456789012:root', 'Inactive', 1000);
    old.close();
    const { meta, identity } = openSqlite({ path });
    try {
      assert.deepEqual(await identity.getAccessKey('AKIAOLDROOT'), {
        accessKeyId: 'AKIAOLDROOT', sealedSecret: 'sealed', principalArn: 'arn:aws:iam::123456789012:root', status: 'Inactive', createdAt: new Date(1000),
      });
      assert.deepEqual((await identity.listOwnedAccessKeys({ accountId: '123456789012' }) as { accessKeyId: string }[]).map((k) => k.accessKeyId), ['AKIAOLDROOT']);
    } finally {
      await meta.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
