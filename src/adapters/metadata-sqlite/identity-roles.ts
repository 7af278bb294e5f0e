// IAM roles on SQLite (iam_roles): trust policy text, session limit, boundary, last use, tags.
import type Database from 'better-sqlite3';
import type { NewRole, RoleRecord, RoleStore } from '../../ports/identity-store.ts';
import { iamArn, likePrefix, type IdentityRows, type Row } from './identity-common.ts';

export function sqliteRoles(db: Database.Database, rows: IdentityRows): RoleStore {
  const p = (sql: string) => db.prepare(sql);
  const get = p('SELECT * FROM iam_roles WHERE account_id = ? AND name = ?');
  const insert = p(`INSERT INTO iam_roles (id, account_id, name, path, trust_policy, description, max_session_duration, boundary_arn, created_at)
    VALUES (@id, @accountId, @name, @path, @trustPolicy, @description, @maxSessionDuration, @boundary, @createdAt)`);
  const list = p(`SELECT * FROM iam_roles WHERE account_id = @account AND path LIKE @prefix ESCAPE '\\' AND name > @after
    ORDER BY name LIMIT @limit`);
  const update = p(`UPDATE iam_roles SET description = CASE WHEN @description IS NULL THEN description ELSE nullif(@description, '') END,
    max_session_duration = coalesce(@max, max_session_duration) WHERE account_id = @account AND name = @name`);
  const trust = p('UPDATE iam_roles SET trust_policy = ? WHERE account_id = ? AND name = ?');
  const boundary = p('UPDATE iam_roles SET boundary_arn = ? WHERE account_id = ? AND name = ?');
  const used = p('UPDATE iam_roles SET last_used_at = ?, last_used_region = ? WHERE account_id = ? AND name = ?');
  const hasInline = p('SELECT 1 FROM iam_inline_policies WHERE owner_id = ? LIMIT 1').pluck();
  const hasAttached = p('SELECT 1 FROM iam_attachments WHERE owner_id = ? LIMIT 1').pluck();
  const del = p('DELETE FROM iam_roles WHERE id = ?');

  const toRole = (r: Row): RoleRecord => ({
    accountId: r.account_id, name: r.name, path: r.path, id: r.id, arn: iamArn(r.account_id, 'role', r.path, r.name),
    trustPolicy: r.trust_policy, maxSessionDuration: r.max_session_duration, createdAt: new Date(r.created_at), tags: rows.tagsOf(r.id),
    ...(r.description !== null ? { description: r.description } : {}),
    ...(r.boundary_arn ? { permissionsBoundary: r.boundary_arn } : {}),
    ...(r.last_used_at ? { lastUsed: { date: new Date(r.last_used_at), region: r.last_used_region } } : {}),
  });
  const create = db.transaction((role: NewRole) => {
    if (get.get(role.accountId, role.name)) return undefined;
    insert.run({ id: role.id, accountId: role.accountId, name: role.name, path: role.path, trustPolicy: role.trustPolicy,
      description: role.description ?? null, maxSessionDuration: role.maxSessionDuration, boundary: role.permissionsBoundary ?? null,
      createdAt: role.createdAt.getTime() });
    rows.addTags(role.id, role.tags);
    return toRole(get.get(role.accountId, role.name) as Row);
  });
  const remove = db.transaction((account: string, name: string) => {
    const r = get.get(account, name) as Row | undefined;
    if (!r) return 'missing' as const;
    if (hasInline.get(r.id)) return 'has-inline' as const;
    if (hasAttached.get(r.id)) return 'has-attached' as const;
    rows.dropTags(r.id);
    del.run(r.id);
    return 'ok' as const;
  });
  return {
    async createRole(role) { return create.immediate(role); },
    async getRole(account, name) {
      const r = get.get(account, name) as Row | undefined;
      return r && toRole(r);
    },
    async listRoles(account, q) {
      return (list.all({ account, prefix: likePrefix(q.pathPrefix ?? '/'), after: q.after ?? '', limit: q.limit }) as Row[]).map(toRole);
    },
    async updateRole(account, name, c) {
      return update.run({ account, name, description: c.description ?? null, max: c.maxSessionDuration ?? null }).changes === 1;
    },
    async setTrustPolicy(account, name, text) { return trust.run(text, account, name).changes === 1; },
    async setRoleBoundary(account, name, arn) { return boundary.run(arn ?? null, account, name).changes === 1; },
    async recordRoleUse(account, name, u) { used.run(u.date.getTime(), u.region, account, name); },
    async deleteRole(account, name) { return remove.immediate(account, name); },
  };
}
