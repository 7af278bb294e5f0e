// The IdentityStore contract (access keys), run against the SQLite adapter; replaceAccessKeys is seen
// at once through a second connection to the same file, as a running server sees `rotate-root`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openSqlite } from '../../src/adapters/metadata-sqlite/index.ts';
import type { AccessKeyRecord } from '../../src/ports/identity-store.ts';

const ROOT = 'arn:aws:iam::000000000000:root';
const ALICE = 'arn:aws:iam::000000000000:user/alice';

function key(id: string, principalArn = ROOT, createdAt = new Date(Date.UTC(2026, 0, 1))): AccessKeyRecord {
  return { accessKeyId: id, sealedSecret: `sealed-${id}`, principalArn, status: 'Active', createdAt };
}

describe('IdentityStore (sqlite)', () => {
  test('stores, replaces by id and lists one principal\'s keys oldest first', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-identity-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const { identity, meta } = openSqlite({ path: join(dir, 'wharf.db') });
    t.after(() => meta.close());
    assert.equal(await identity.getAccessKey('AKIANONE'), undefined);
    await identity.putAccessKey(key('AKIAB', ROOT, new Date(Date.UTC(2026, 0, 2))));
    await identity.putAccessKey(key('AKIAA', ROOT, new Date(Date.UTC(2026, 0, 1))));
    await identity.putAccessKey(key('AKIAC', ALICE));
    await identity.putAccessKey({ ...key('AKIAB', ROOT, new Date(Date.UTC(2026, 0, 2))), sealedSecret: 'resealed' });
    assert.deepEqual((await identity.listAccessKeys(ROOT)).map((k) => [k.accessKeyId, k.sealedSecret]), [['AKIAA', 'sealed-AKIAA'], ['AKIAB', 'resealed']]);
  });

  test('replaceAccessKeys deactivates the principal\'s other keys only, visible to another connection at once', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-identity-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const a = openSqlite({ path: join(dir, 'wharf.db') });
    const b = openSqlite({ path: join(dir, 'wharf.db') });
    t.after(async () => { await a.meta.close(); await b.meta.close(); });
    await a.identity.putAccessKey(key('AKIAOLD1'));
    await a.identity.putAccessKey(key('AKIAOLD2'));
    await a.identity.putAccessKey(key('AKIAUSER', ALICE));
    assert.equal((await b.identity.getAccessKey('AKIAOLD1'))?.status, 'Active');
    assert.equal(await b.identity.replaceAccessKeys(key('AKIANEW')), 2);
    assert.equal((await a.identity.getAccessKey('AKIAOLD1'))?.status, 'Inactive');
    assert.equal((await a.identity.getAccessKey('AKIAOLD2'))?.status, 'Inactive');
    assert.equal((await a.identity.getAccessKey('AKIANEW'))?.status, 'Active');
    assert.equal((await a.identity.getAccessKey('AKIAUSER'))?.status, 'Active', 'another principal\'s key stays');
    assert.equal(await a.identity.replaceAccessKeys(key('AKIANEWER')), 1, 'only the active ones count');
  });
});
