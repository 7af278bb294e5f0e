// The SQLite stores' full-disk guard (src/adapters/metadata-sqlite/no-space.ts): SQLITE_FULL from a
// transaction becomes StorageFull with nothing committed, and StorageHealth hears once space is back.
// SQLite's max_page_count makes the database "full" without filling a disk.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { noSpaceGuard } from '../../src/adapters/metadata-sqlite/no-space.ts';
import { WharfError } from '../../src/domain/errors.ts';
import type { StorageHealth } from '../../src/ports/storage-health.ts';

test('SQLITE_FULL becomes StorageFull, rolls back, and the first later write tells StorageHealth', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-nospace-'));
  const db = new Database(join(dir, 'x.db'));
  t.after(() => { db.close(); rmSync(dir, { recursive: true, force: true }); });
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)');
  const calls: string[] = [];
  const health: StorageHealth = { full: (store, reason) => calls.push(`full ${store} ${reason}`), writable: (store) => calls.push(`writable ${store}`) };
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const store = noSpaceGuard(db, health).wrap({
    /** One transaction of `n` rows of 8 KiB (async, like the port's methods). */
    async add(n: number) { db.transaction(() => { for (let i = 0; i < n; i++) insert.run(Buffer.alloc(8192)); })(); },
    count: () => db.prepare('SELECT count(*) FROM t').pluck().get() as number,
  });

  await store.add(1);
  db.pragma(`max_page_count = ${(db.pragma('page_count', { simple: true }) as number) + 4}`);
  for (let i = 0; i < 2; i++) {
    await assert.rejects(store.add(50), (e: unknown) => {
      assert.ok(e instanceof WharfError, String(e));
      assert.equal(e.spec.id, 'StorageFull');
      assert.equal(e.status, 507);
      assert.match(e.message, /metadata store is out of space/);
      assert.equal(((e as { cause?: { code?: string } }).cause)?.code, 'SQLITE_FULL', 'the driver error is kept as the cause');
      return true;
    });
  }
  assert.equal(store.count(), 1, 'the failed transactions committed nothing');
  assert.deepEqual(calls, ['full metadata store SQLITE_FULL', 'full metadata store SQLITE_FULL'], 'each failure is reported (the listener decides what to log)');
  assert.equal(store.count(), 1);
  assert.equal(calls.length, 2, 'a read that succeeds does not say space is back');

  db.pragma('max_page_count = 1073741823');
  await store.add(50);
  assert.equal(store.count(), 51);
  await store.add(1);
  assert.deepEqual(calls.slice(2), ['writable metadata store'], 'the first write that stored rows says so, once');
});
