// Managed policies with their versions (iam_policies, iam_policy_versions), inline policies of users
// and roles (iam_inline_policies) and attachments (iam_attachments) on SQLite. Inline policies and
// attachments hang on the owner's id; an attachment names its policy by ARN, because AWS-managed
// policies are built in and have no row.
import type Database from 'better-sqlite3';
import type {
  ManagedPolicyRecord, NewManagedPolicy, PolicyOwner, PolicyStore, PolicyVersionRecord, PrincipalPolicyStore,
} from '../../ports/identity-store.ts';
import { iamArn, likePrefix, type IdentityRows, type Row } from './identity-common.ts';

const POLICY_SELECT = `SELECT p.*, (SELECT count(*) FROM iam_attachments a WHERE a.policy_arn = p.arn) AS attachments FROM iam_policies p`;

/** The number of a version id (v1 → 1), or undefined when it is not one. */
function versionNumber(id: string): number | undefined {
  const m = /^v([1-9][0-9]{0,8})$/.exec(id);
  return m ? Number(m[1]) : undefined;
}

export function sqlitePolicies(db: Database.Database, rows: IdentityRows): PolicyStore {
  const p = (sql: string) => db.prepare(sql);
  const byArn = p(`${POLICY_SELECT} WHERE p.arn = ?`);
  const nameTaken = p('SELECT 1 FROM iam_policies WHERE account_id = ? AND name = ?').pluck();
  const insert = p(`INSERT INTO iam_policies (id, account_id, name, path, arn, description, default_version, next_version, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, 1, 2, ?, ?)`);
  const list = p(`${POLICY_SELECT} WHERE p.account_id = @account AND p.path LIKE @prefix ESCAPE '\\' AND p.name > @after
    AND (@attached = 0 OR EXISTS (SELECT 1 FROM iam_attachments a WHERE a.policy_arn = p.arn)) ORDER BY p.name LIMIT @limit`);
  const versionInsert = p('INSERT INTO iam_policy_versions (policy_id, version, document, created_at) VALUES (?, ?, ?, ?)');
  const versionGet = p('SELECT * FROM iam_policy_versions WHERE policy_id = ? AND version = ?');
  const versions = p('SELECT * FROM iam_policy_versions WHERE policy_id = ? ORDER BY version DESC');
  const versionCount = p('SELECT count(*) FROM iam_policy_versions WHERE policy_id = ?').pluck();
  const versionDelete = p('DELETE FROM iam_policy_versions WHERE policy_id = ? AND version = ?');
  const bump = p('UPDATE iam_policies SET next_version = next_version + 1 WHERE id = ?');
  const setDefault = p('UPDATE iam_policies SET default_version = ?, updated_at = ? WHERE id = ?');
  const del = p('DELETE FROM iam_policies WHERE id = ?');

  const toPolicy = (r: Row): ManagedPolicyRecord => ({
    accountId: r.account_id, name: r.name, path: r.path, id: r.id, arn: r.arn, defaultVersionId: `v${r.default_version}`,
    attachmentCount: r.attachments, createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at), tags: rows.tagsOf(r.id),
    ...(r.description !== null ? { description: r.description } : {}),
  });
  const toVersion = (policy: Row, v: Row): PolicyVersionRecord => ({
    versionId: `v${v.version}`, document: v.document, createdAt: new Date(v.created_at), isDefault: v.version === policy.default_version,
  });
  const create = db.transaction((n: NewManagedPolicy) => {
    if (nameTaken.get(n.accountId, n.name)) return undefined;
    const arn = iamArn(n.accountId, 'policy', n.path, n.name);
    insert.run(n.id, n.accountId, n.name, n.path, arn, n.description ?? null, n.createdAt.getTime(), n.createdAt.getTime());
    versionInsert.run(n.id, 1, n.document, n.createdAt.getTime());
    rows.addTags(n.id, n.tags);
    return toPolicy(byArn.get(arn) as Row);
  });
  const remove = db.transaction((arn: string) => {
    const r = byArn.get(arn) as Row | undefined;
    if (!r) return 'missing' as const;
    if (r.attachments > 0) return 'attached' as const;
    if ((versionCount.get(r.id) as number) > 1) return 'has-versions' as const;
    rows.dropTags(r.id);
    del.run(r.id);
    return 'ok' as const;
  });
  const addVersion = db.transaction((arn: string, document: string, makeDefault: boolean, at: Date, max: number) => {
    const r = byArn.get(arn) as Row | undefined;
    if (!r) return 'missing' as const;
    if ((versionCount.get(r.id) as number) >= max) return 'limit' as const;
    versionInsert.run(r.id, r.next_version, document, at.getTime());
    bump.run(r.id);
    if (makeDefault) setDefault.run(r.next_version, at.getTime(), r.id);
    const updated = byArn.get(arn) as Row;
    return toVersion(updated, versionGet.get(r.id, r.next_version) as Row);
  });
  /** Runs `fn` on the policy row and the version row, or says which is missing. */
  const withVersion = <T>(fn: (policy: Row, version: Row, n: number) => T) => (arn: string, versionId: string): T | 'missing' | 'no-version' => {
    const r = byArn.get(arn) as Row | undefined;
    if (!r) return 'missing';
    const n = versionNumber(versionId);
    const v = n === undefined ? undefined : (versionGet.get(r.id, n) as Row | undefined);
    return v ? fn(r, v, n!) : 'no-version';
  };
  const dropVersion = db.transaction(withVersion((r, _v, n) => {
    if (n === r.default_version) return 'default' as const;
    versionDelete.run(r.id, n);
    return 'ok' as const;
  }));
  const makeDefault = db.transaction((arn: string, versionId: string, at: Date) => withVersion((r, _v, n) => {
    setDefault.run(n, at.getTime(), r.id);
    return 'ok' as const;
  })(arn, versionId));
  return {
    async createPolicy(n) { return create.immediate(n); },
    async getPolicy(arn) {
      const r = byArn.get(arn) as Row | undefined;
      return r && toPolicy(r);
    },
    async listPolicies(account, q) {
      return (list.all({ account, prefix: likePrefix(q.pathPrefix ?? '/'), after: q.after ?? '', limit: q.limit, attached: q.onlyAttached ? 1 : 0 }) as Row[]).map(toPolicy);
    },
    async deletePolicy(arn) { return remove.immediate(arn); },
    async createPolicyVersion(arn, document, setAsDefault, at, max) { return addVersion.immediate(arn, document, setAsDefault, at, max); },
    async getPolicyVersion(arn, versionId) { return withVersion((r, v) => toVersion(r, v))(arn, versionId); },
    async listPolicyVersions(arn) {
      const r = byArn.get(arn) as Row | undefined;
      return r ? (versions.all(r.id) as Row[]).map((v) => toVersion(r, v)) : 'missing';
    },
    async deletePolicyVersion(arn, versionId) { return dropVersion.immediate(arn, versionId); },
    async setDefaultPolicyVersion(arn, versionId, at) { return makeDefault.immediate(arn, versionId, at); },
  };
}

export function sqlitePrincipalPolicies(db: Database.Database, rows: IdentityRows): PrincipalPolicyStore {
  const p = (sql: string) => db.prepare(sql);
  const inlineTotal = p('SELECT coalesce(sum(size), 0) FROM iam_inline_policies WHERE owner_id = ? AND name != ?').pluck();
  const inlinePut = p(`INSERT INTO iam_inline_policies (owner_id, name, document, size) VALUES (?, ?, ?, ?)
    ON CONFLICT (owner_id, name) DO UPDATE SET name = excluded.name, document = excluded.document, size = excluded.size`);
  const inlineGet = p('SELECT name, document FROM iam_inline_policies WHERE owner_id = ? AND name = ?');
  const inlineAll = p('SELECT name, document FROM iam_inline_policies WHERE owner_id = ? ORDER BY name');
  const inlineDelete = p('DELETE FROM iam_inline_policies WHERE owner_id = ? AND name = ?');
  const policyExists = p('SELECT 1 FROM iam_policies WHERE arn = ?').pluck();
  const attached = p('SELECT 1 FROM iam_attachments WHERE owner_id = ? AND policy_arn = ?').pluck();
  const attachedCount = p('SELECT count(*) FROM iam_attachments WHERE owner_id = ?').pluck();
  const attach = p('INSERT INTO iam_attachments (owner_id, policy_arn, seq) VALUES (@owner, @arn, (SELECT coalesce(max(seq), 0) + 1 FROM iam_attachments WHERE owner_id = @owner))');
  const detach = p('DELETE FROM iam_attachments WHERE owner_id = ? AND policy_arn = ?');
  const attachedList = p('SELECT policy_arn FROM iam_attachments WHERE owner_id = ? ORDER BY seq').pluck();
  const attachedDocs = p(`SELECT a.policy_arn AS arn, v.document FROM iam_attachments a
    LEFT JOIN iam_policies p ON p.arn = a.policy_arn LEFT JOIN iam_policy_versions v ON v.policy_id = p.id AND v.version = p.default_version
    WHERE a.owner_id = ? ORDER BY a.seq`);
  const awsAttached = p(`SELECT a.policy_arn AS arn, count(*) AS n FROM iam_attachments a
    WHERE a.policy_arn LIKE 'arn:aws:iam::aws:policy/%'
      AND (a.owner_id IN (SELECT id FROM iam_users WHERE account_id = @account) OR a.owner_id IN (SELECT id FROM iam_roles WHERE account_id = @account))
    GROUP BY a.policy_arn`);
  const boundary = { user: p('SELECT boundary_arn FROM iam_users WHERE id = ?').pluck(), role: p('SELECT boundary_arn FROM iam_roles WHERE id = ?').pluck() };

  /** Runs `fn` with the owner's id, or answers 'no-owner'. */
  const owned = <A extends unknown[], T>(fn: (id: string, ...a: A) => T) => (o: PolicyOwner, ...a: A): T | 'no-owner' => {
    const id = rows.ownerId(o);
    return id === undefined ? 'no-owner' : fn(id, ...a);
  };
  const put = db.transaction(owned((id, name: string, document: string, size: number, max: number) => {
    if ((inlineTotal.get(id, name) as number) + size > max) return 'limit' as const;
    inlinePut.run(id, name, document, size);
    return 'ok' as const;
  }));
  const attachTx = db.transaction(owned((id, arn: string, awsManaged: boolean, max: number) => {
    if (!awsManaged && !policyExists.get(arn)) return 'no-policy' as const;
    if (attached.get(id, arn)) return 'ok' as const;
    if ((attachedCount.get(id) as number) >= max) return 'limit' as const;
    attach.run({ owner: id, arn });
    return 'ok' as const;
  }));
  const snapshot = db.transaction((o: PolicyOwner) => owned((id) => {
    const docs = attachedDocs.all(id) as Row[];
    const b = boundary[o.kind].get(id) as string | null;
    return {
      inline: inlineAll.all(id) as { name: string; document: string }[],
      managed: docs.filter((d) => d.document !== null).map((d) => ({ arn: d.arn as string, document: d.document as string })),
      awsManaged: docs.filter((d) => d.document === null).map((d) => d.arn as string),
      ...(b ? { permissionsBoundary: b } : {}),
    };
  })(o));
  return {
    async putInlinePolicy(o, policy, size, max) { return put.immediate(o, policy.name, policy.document, size, max); },
    async getInlinePolicy(o, name) {
      return owned((id) => (inlineGet.get(id, name) as { name: string; document: string } | undefined) ?? 'missing' as const)(o);
    },
    async listInlinePolicies(o) { return owned((id) => (inlineAll.all(id) as Row[]).map((r) => r.name as string))(o); },
    async deleteInlinePolicy(o, name) { return owned((id) => (inlineDelete.run(id, name).changes === 1 ? 'ok' as const : 'missing' as const))(o); },
    async attachPolicy(o, arn, opts) { return attachTx.immediate(o, arn, opts.awsManaged, opts.max); },
    async detachPolicy(o, arn) { return owned((id) => (detach.run(id, arn).changes === 1 ? 'ok' as const : 'not-attached' as const))(o); },
    async listAttachedPolicies(o) { return owned((id) => attachedList.all(id) as string[])(o); },
    async principalPolicies(o) { return snapshot(o); },
    async awsManagedAttachments(account) {
      return new Map((awsAttached.all({ account }) as Row[]).map((r) => [r.arn as string, r.n as number]));
    },
  };
}
