// Accounts, IAM users and access keys on SQLite (iam_accounts, iam_users, access_keys). A user key
// names its user by id (access_keys.user_id) and keeps principal_arn current when the user is renamed
// or moved; root keys and keys from putAccessKey have no user and are found by principal_arn.
import type Database from 'better-sqlite3';
import type { AccessKeyRecord, AccessKeyStore, AccountStore, KeyOwner, UserRecord, UserStore } from '../../ports/identity-store.ts';
import { iamArn, likePrefix, type IdentityRows, type Row } from './identity-common.ts';

const rootArn = (accountId: string) => `arn:aws:iam::${accountId}:root`;

function toKey(r: Row): AccessKeyRecord {
  return {
    accessKeyId: r.access_key_id, sealedSecret: r.sealed_secret, principalArn: r.principal_arn, status: r.status, createdAt: new Date(r.created_at),
    ...(r.user_name ? { userName: r.user_name } : {}),
    ...(r.last_used_at ? { lastUsed: { date: new Date(r.last_used_at), service: r.last_used_service, region: r.last_used_region } } : {}),
  };
}

const KEY_SELECT = 'SELECT k.*, u.name AS user_name FROM access_keys k LEFT JOIN iam_users u ON u.id = k.user_id';

export function sqliteAccounts(db: Database.Database): AccountStore {
  const insert = db.prepare('INSERT INTO iam_accounts (id, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING');
  const get = db.prepare('SELECT * FROM iam_accounts WHERE id = ?');
  const list = db.prepare('SELECT * FROM iam_accounts ORDER BY id');
  const toAccount = (r: Row) => ({ id: r.id as string, createdAt: new Date(r.created_at) });
  return {
    async createAccount(id, at) { return insert.run(id, at.getTime()).changes === 1; },
    async getAccount(id) {
      const r = get.get(id) as Row | undefined;
      return r && toAccount(r);
    },
    async listAccounts() { return (list.all() as Row[]).map(toAccount); },
  };
}

export function sqliteAccessKeys(db: Database.Database): AccessKeyStore {
  const p = (sql: string) => db.prepare(sql);
  const get = p(`${KEY_SELECT} WHERE k.access_key_id = ?`);
  const put = p(`INSERT INTO access_keys (access_key_id, sealed_secret, principal_arn, status, created_at, account_id, user_id)
    VALUES (@id, @secret, @arn, @status, @at, @account, @user)
    ON CONFLICT (access_key_id) DO UPDATE SET sealed_secret = excluded.sealed_secret, principal_arn = excluded.principal_arn,
      status = excluded.status, account_id = excluded.account_id`);
  const list = p(`${KEY_SELECT} WHERE k.principal_arn = ? ORDER BY k.created_at, k.access_key_id`);
  const deactivate = p("UPDATE access_keys SET status = 'Inactive' WHERE principal_arn = ? AND status = 'Active'");
  const user = p('SELECT id, path, name FROM iam_users WHERE account_id = ? AND name = ?');
  const ownedWhere = 'WHERE (k.user_id = @user OR (@user IS NULL AND k.user_id IS NULL AND k.principal_arn = @root))';
  const owned = p(`${KEY_SELECT} ${ownedWhere} ORDER BY k.created_at, k.access_key_id`);
  const setStatus = p(`UPDATE access_keys AS k SET status = @status ${ownedWhere} AND k.access_key_id = @id`);
  const del = p(`DELETE FROM access_keys AS k ${ownedWhere} AND k.access_key_id = @id`);
  const used = p('UPDATE access_keys SET last_used_at = ?, last_used_service = ?, last_used_region = ? WHERE access_key_id = ?');
  const accountOf = (arn: string) => arn.match(/^arn:aws:iam::([0-9]{12}):/)?.[1] ?? null;
  const putRow = (k: AccessKeyRecord, user: string | null = null) =>
    put.run({ id: k.accessKeyId, secret: k.sealedSecret, arn: k.principalArn, status: k.status, at: k.createdAt.getTime(), account: accountOf(k.principalArn), user });

  /** The owner's user id (null for the root) and ARN; undefined when the user does not exist. */
  const resolve = (o: KeyOwner): { user: string | null; arn: string } | undefined => {
    if (o.userName === undefined) return { user: null, arn: rootArn(o.accountId) };
    const u = user.get(o.accountId, o.userName) as Row | undefined;
    return u && { user: u.id, arn: iamArn(o.accountId, 'user', u.path, u.name) };
  };
  const ownedParams = (o: KeyOwner, r: { user: string | null }) => ({ user: r.user, root: rootArn(o.accountId) });

  const create = db.transaction((o: KeyOwner, key: { accessKeyId: string; sealedSecret: string; createdAt: Date }, max: number) => {
    const r = resolve(o);
    if (!r) return 'no-owner' as const;
    if (owned.all(ownedParams(o, r)).length >= max) return 'limit' as const;
    putRow({ ...key, principalArn: r.arn, status: 'Active' }, r.user);
    return toKey(get.get(key.accessKeyId) as Row);
  });
  const replace = db.transaction((k: AccessKeyRecord): number => {
    const n = deactivate.run(k.principalArn).changes;
    putRow(k);
    return n;
  });
  const change = (stmt: Database.Statement, extra: Record<string, unknown>) => db.transaction((o: KeyOwner, id: string) => {
    const r = resolve(o);
    if (!r) return 'no-owner' as const;
    return stmt.run({ ...ownedParams(o, r), id, ...extra }).changes === 1 ? 'ok' as const : 'missing' as const;
  });
  const setActive = change(setStatus, { status: 'Active' });
  const setInactive = change(setStatus, { status: 'Inactive' });
  const remove = change(del, {});

  return {
    async getAccessKey(id) {
      const r = get.get(id) as Row | undefined;
      return r ? toKey(r) : undefined;
    },
    async putAccessKey(k) { putRow(k); },
    async listAccessKeys(arn) { return (list.all(arn) as Row[]).map(toKey); },
    async replaceAccessKeys(k) { return replace.immediate(k); },
    async createOwnedAccessKey(o, key, max) { return create.immediate(o, key, max); },
    async listOwnedAccessKeys(o) {
      const r = resolve(o);
      return r ? (owned.all(ownedParams(o, r)) as Row[]).map(toKey) : 'no-owner';
    },
    async setAccessKeyStatus(o, id, status) { return (status === 'Active' ? setActive : setInactive).immediate(o, id); },
    async deleteOwnedAccessKey(o, id) { return remove.immediate(o, id); },
    async recordAccessKeyUse(id, u) { used.run(u.date.getTime(), u.service, u.region, id); },
  };
}

export function sqliteUsers(db: Database.Database, rows: IdentityRows): UserStore {
  const p = (sql: string) => db.prepare(sql);
  const get = p('SELECT * FROM iam_users WHERE account_id = ? AND name = ?');
  const insert = p('INSERT INTO iam_users (id, account_id, name, path, boundary_arn, created_at) VALUES (?, ?, ?, ?, ?, ?)');
  const list = p(`SELECT * FROM iam_users WHERE account_id = @account AND path LIKE @prefix ESCAPE '\\' AND name > @after
    ORDER BY name LIMIT @limit`);
  const nameTaken = p('SELECT 1 FROM iam_users WHERE account_id = ? AND name = ? AND id != ?').pluck();
  const rename = p('UPDATE iam_users SET name = ?, path = ? WHERE id = ?');
  const keyArns = p('UPDATE access_keys SET principal_arn = ? WHERE user_id = ?');
  const boundary = p('UPDATE iam_users SET boundary_arn = ? WHERE account_id = ? AND name = ?');
  const hasKeys = p('SELECT 1 FROM access_keys WHERE user_id = ? LIMIT 1').pluck();
  const hasInline = p('SELECT 1 FROM iam_inline_policies WHERE owner_id = ? LIMIT 1').pluck();
  const hasAttached = p('SELECT 1 FROM iam_attachments WHERE owner_id = ? LIMIT 1').pluck();
  const del = p('DELETE FROM iam_users WHERE id = ?');

  const toUser = (r: Row): UserRecord => ({
    accountId: r.account_id, name: r.name, path: r.path, id: r.id, createdAt: new Date(r.created_at),
    arn: iamArn(r.account_id, 'user', r.path, r.name), tags: rows.tagsOf(r.id),
    ...(r.boundary_arn ? { permissionsBoundary: r.boundary_arn } : {}),
  });
  const create = db.transaction((u: Parameters<UserStore['createUser']>[0]) => {
    if (get.get(u.accountId, u.name)) return undefined;
    insert.run(u.id, u.accountId, u.name, u.path, u.permissionsBoundary ?? null, u.createdAt.getTime());
    rows.addTags(u.id, u.tags);
    return toUser(get.get(u.accountId, u.name) as Row);
  });
  const update = db.transaction((account: string, name: string, c: { newName?: string; newPath?: string }) => {
    const r = get.get(account, name) as Row | undefined;
    if (!r) return 'missing' as const;
    const newName = c.newName ?? r.name;
    const newPath = c.newPath ?? r.path;
    if (nameTaken.get(account, newName, r.id)) return 'exists' as const;
    rename.run(newName, newPath, r.id);
    keyArns.run(iamArn(account, 'user', newPath, newName), r.id);
    return 'ok' as const;
  });
  const remove = db.transaction((account: string, name: string) => {
    const r = get.get(account, name) as Row | undefined;
    if (!r) return 'missing' as const;
    if (hasKeys.get(r.id)) return 'has-keys' as const;
    if (hasInline.get(r.id)) return 'has-inline' as const;
    if (hasAttached.get(r.id)) return 'has-attached' as const;
    rows.dropTags(r.id);
    del.run(r.id);
    return 'ok' as const;
  });
  return {
    async createUser(u) { return create.immediate(u); },
    async getUser(account, name) {
      const r = get.get(account, name) as Row | undefined;
      return r && toUser(r);
    },
    async listUsers(account, q) {
      return (list.all({ account, prefix: likePrefix(q.pathPrefix ?? '/'), after: q.after ?? '', limit: q.limit }) as Row[]).map(toUser);
    },
    async updateUser(account, name, c) { return update.immediate(account, name, c); },
    async setUserBoundary(account, name, arn) { return boundary.run(arn ?? null, account, name).changes === 1; },
    async deleteUser(account, name) { return remove.immediate(account, name); },
  };
}
