// OIDC identity providers (iam_oidc_providers: client ids and thumbprints as JSON lists, an optional
// JWKS text or file) and the tag operations of every taggable IAM resource, on SQLite.
import type Database from 'better-sqlite3';
import type { NewOidcProvider, OidcProviderRecord, OidcProviderStore, TagStore } from '../../ports/identity-store.ts';
import { oidcIssuerKey as oidcUrlKey } from '../../domain/aws/iam-input.ts';
import type { IdentityRows, Row } from './identity-common.ts';


export function sqliteOidcProviders(db: Database.Database, rows: IdentityRows): OidcProviderStore {
  const p = (sql: string) => db.prepare(sql);
  const get = p('SELECT * FROM iam_oidc_providers WHERE arn = ?');
  const byUrl = p('SELECT * FROM iam_oidc_providers WHERE account_id = ? AND url_key = ?');
  const list = p('SELECT * FROM iam_oidc_providers WHERE account_id = ? ORDER BY arn');
  const insert = p(`INSERT INTO iam_oidc_providers (arn, account_id, url, url_key, client_ids, thumbprints, jwks, jwks_file, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`);
  const setClients = p('UPDATE iam_oidc_providers SET client_ids = ? WHERE arn = ?');
  const setThumbs = p('UPDATE iam_oidc_providers SET thumbprints = ? WHERE arn = ?');
  const setJwks = p('UPDATE iam_oidc_providers SET jwks = ?, jwks_file = ? WHERE arn = ?');
  const del = p('DELETE FROM iam_oidc_providers WHERE arn = ?');

  const toProvider = (r: Row): OidcProviderRecord => ({
    accountId: r.account_id, arn: r.arn, url: r.url, clientIds: JSON.parse(r.client_ids), thumbprints: JSON.parse(r.thumbprints),
    createdAt: new Date(r.created_at), tags: rows.tagsOf(r.arn),
    ...(r.jwks !== null ? { jwks: r.jwks } : {}), ...(r.jwks_file !== null ? { jwksFile: r.jwks_file } : {}),
  });
  const create = db.transaction((n: NewOidcProvider) => {
    const made = insert.run(n.arn, n.accountId, n.url, oidcUrlKey(n.url), JSON.stringify(n.clientIds), JSON.stringify(n.thumbprints),
      n.jwks ?? null, n.jwksFile ?? null, n.createdAt.getTime()).changes === 1;
    if (!made) return undefined;
    rows.addTags(n.arn, n.tags);
    return toProvider(get.get(n.arn) as Row);
  });
  const addClient = db.transaction((arn: string, id: string, max: number) => {
    const r = get.get(arn) as Row | undefined;
    if (!r) return 'missing' as const;
    const ids = JSON.parse(r.client_ids) as string[];
    if (ids.includes(id)) return 'ok' as const;
    if (ids.length >= max) return 'limit' as const;
    setClients.run(JSON.stringify([...ids, id]), arn);
    return 'ok' as const;
  });
  const dropClient = db.transaction((arn: string, id: string) => {
    const r = get.get(arn) as Row | undefined;
    if (!r) return 'missing' as const;
    setClients.run(JSON.stringify((JSON.parse(r.client_ids) as string[]).filter((x) => x !== id)), arn);
    return 'ok' as const;
  });
  const remove = db.transaction((arn: string) => {
    rows.dropTags(arn);
    return del.run(arn).changes === 1;
  });
  return {
    async createOidcProvider(n) { return create.immediate(n); },
    async getOidcProvider(arn) {
      const r = get.get(arn) as Row | undefined;
      return r && toProvider(r);
    },
    async findOidcProvider(account, url) {
      const r = byUrl.get(account, oidcUrlKey(url)) as Row | undefined;
      return r && toProvider(r);
    },
    async listOidcProviders(account) { return (list.all(account) as Row[]).map(toProvider); },
    async deleteOidcProvider(arn) { return remove.immediate(arn); },
    async addOidcClientId(arn, id, max) { return addClient.immediate(arn, id, max); },
    async removeOidcClientId(arn, id) { return dropClient.immediate(arn, id); },
    async setOidcThumbprints(arn, list) { return setThumbs.run(JSON.stringify(list), arn).changes === 1; },
    async setOidcJwks(arn, k) { return setJwks.run(k.jwks ?? null, k.jwksFile ?? null, arn).changes === 1; },
  };
}

export function sqliteTags(db: Database.Database, rows: IdentityRows): TagStore {
  const tag = db.transaction((ref: Parameters<TagStore['tagResource']>[0], tags: Parameters<TagStore['tagResource']>[1], max: number) => {
    const id = rows.tagOwnerId(ref);
    if (id === undefined) return 'missing' as const;
    if (rows.countAfter(id, tags) > max) return 'limit' as const;
    rows.addTags(id, tags);
    return 'ok' as const;
  });
  const untag = db.transaction((ref: Parameters<TagStore['untagResource']>[0], keys: readonly string[]) => {
    const id = rows.tagOwnerId(ref);
    if (id === undefined) return 'missing' as const;
    rows.removeTags(id, keys);
    return 'ok' as const;
  });
  return {
    async tagResource(ref, tags, max) { return tag.immediate(ref, tags, max); },
    async untagResource(ref, keys) { return untag.immediate(ref, keys); },
    async listTags(ref) {
      const id = rows.tagOwnerId(ref);
      return id === undefined ? 'missing' : rows.tagsOf(id);
    },
  };
}
