// What the SQLite identity tables share: ARN spelling, the owner-id lookups that let policies, keys
// and tags survive renames, and the ordered tag rows (iam_tags) of users, roles, policies and providers.
import type Database from 'better-sqlite3';
import type { PolicyOwner, Tag, TaggedRef } from '../../ports/identity-store.ts';

export type Row = Record<string, any>;

/** arn:aws:iam::<account>:<kind><path><name>, as IAM spells user, role and policy ARNs. */
export function iamArn(accountId: string, kind: 'user' | 'role' | 'policy', path: string, name: string): string {
  return `arn:aws:iam::${accountId}:${kind}${path}${name}`;
}

/** A LIKE pattern matching strings that start with `prefix` (escape character `\`). */
export function likePrefix(prefix: string): string {
  return prefix.replace(/[\\%_]/g, (c) => `\\${c}`) + '%';
}

export interface IdentityRows {
  /** Id of the user or role `owner`, or undefined. */
  ownerId(owner: PolicyOwner): string | undefined;
  /** Id under which the tags of `ref` are kept, or undefined when the resource does not exist. */
  tagOwnerId(ref: TaggedRef): string | undefined;
  tagsOf(resourceId: string): Tag[];
  /** Adds or replaces tags (replaced keys keep their place); call inside a transaction. */
  addTags(resourceId: string, tags: readonly Tag[]): void;
  removeTags(resourceId: string, keys: readonly string[]): void;
  /** How many tags the resource would have after adding `tags`. */
  countAfter(resourceId: string, tags: readonly Tag[]): number;
  dropTags(resourceId: string): void;
}

export function identityRows(db: Database.Database): IdentityRows {
  const p = (sql: string) => db.prepare(sql);
  const userId = p('SELECT id FROM iam_users WHERE account_id = ? AND name = ?').pluck();
  const roleId = p('SELECT id FROM iam_roles WHERE account_id = ? AND name = ?').pluck();
  const policyId = p('SELECT id FROM iam_policies WHERE arn = ?').pluck();
  const oidcArn = p('SELECT arn FROM iam_oidc_providers WHERE arn = ?').pluck();
  const tags = p('SELECT key, value FROM iam_tags WHERE resource_id = ? ORDER BY seq');
  const hasTag = p('SELECT 1 FROM iam_tags WHERE resource_id = ? AND key = ?').pluck();
  const count = p('SELECT count(*) FROM iam_tags WHERE resource_id = ?').pluck();
  const upsert = p(`INSERT INTO iam_tags (resource_id, key, value, seq)
    VALUES (@id, @key, @value, (SELECT coalesce(max(seq), 0) + 1 FROM iam_tags WHERE resource_id = @id))
    ON CONFLICT (resource_id, key) DO UPDATE SET key = excluded.key, value = excluded.value`);
  const remove = p('DELETE FROM iam_tags WHERE resource_id = ? AND key = ?');
  const drop = p('DELETE FROM iam_tags WHERE resource_id = ?');
  const ownerId = (o: PolicyOwner) => (o.kind === 'user' ? userId : roleId).get(o.accountId, o.name) as string | undefined;
  return {
    ownerId,
    tagOwnerId(ref) {
      if ('arn' in ref) return (ref.kind === 'policy' ? policyId : oidcArn).get(ref.arn) as string | undefined;
      return ownerId(ref);
    },
    tagsOf: (id) => (tags.all(id) as Row[]).map((r) => ({ key: r.key, value: r.value })),
    addTags(id, list) {
      for (const t of list) upsert.run({ id, key: t.key, value: t.value });
    },
    removeTags(id, keys) {
      for (const k of keys) remove.run(id, k);
    },
    countAfter(id, list) {
      const fresh = new Set<string>();
      for (const t of list) if (!hasTag.get(id, t.key)) fresh.add(t.key.toLowerCase());
      return (count.get(id) as number) + fresh.size;
    },
    dropTags: (id) => { drop.run(id); },
  };
}
