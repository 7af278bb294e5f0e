// IdentityStore on the same SQLite database as the metadata (table access_keys).
import type Database from 'better-sqlite3';
import type { AccessKeyRecord, IdentityStore } from '../../ports/identity-store.ts';

type Row = Record<string, any>;

function toKey(r: Row): AccessKeyRecord {
  return { accessKeyId: r.access_key_id, sealedSecret: r.sealed_secret, principalArn: r.principal_arn, status: r.status, createdAt: new Date(r.created_at) };
}

export function sqliteIdentityStore(db: Database.Database): IdentityStore {
  const get = db.prepare('SELECT * FROM access_keys WHERE access_key_id = ?');
  const put = db.prepare(`INSERT INTO access_keys (access_key_id, sealed_secret, principal_arn, status, created_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (access_key_id) DO UPDATE SET sealed_secret = excluded.sealed_secret, principal_arn = excluded.principal_arn, status = excluded.status`);
  const list = db.prepare('SELECT * FROM access_keys WHERE principal_arn = ? ORDER BY created_at');
  const deactivate = db.prepare("UPDATE access_keys SET status = 'Inactive' WHERE principal_arn = ? AND status = 'Active'");
  const replace = db.transaction((k: AccessKeyRecord): number => {
    const n = deactivate.run(k.principalArn).changes;
    put.run(k.accessKeyId, k.sealedSecret, k.principalArn, k.status, k.createdAt.getTime());
    return n;
  });
  return {
    async getAccessKey(id) {
      const r = get.get(id) as Row | undefined;
      return r ? toKey(r) : undefined;
    },
    async putAccessKey(k) {
      put.run(k.accessKeyId, k.sealedSecret, k.principalArn, k.status, k.createdAt.getTime());
    },
    async listAccessKeys(arn) {
      return (list.all(arn) as Row[]).map(toKey);
    },
    async replaceAccessKeys(k) {
      return replace.immediate(k);
    },
  };
}
