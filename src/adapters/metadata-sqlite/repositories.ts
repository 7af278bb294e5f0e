// The repository records of the SQLite MetadataStore: the repository row and its settings, its
// policy text and its resource tags (see the port for the contract of each method).
import type Database from 'better-sqlite3';
import { DEFAULT_SETTINGS, type RepositorySettings } from '../../domain/repository.ts';
import type { Repository } from '../../ports/metadata-store.ts';

type Row = Record<string, any>;

const REPO_COLUMNS = 'name, created_at, image_tag_mutability, mutability_filters, scan_on_push, encryption_type, kms_key';

function toRepository(r: Row): Repository {
  return {
    name: r.name, createdAt: new Date(r.created_at), imageTagMutability: r.image_tag_mutability,
    ...(r.mutability_filters ? { imageTagMutabilityExclusionFilters: JSON.parse(r.mutability_filters) } : {}),
    scanOnPush: r.scan_on_push === 1, encryptionType: r.encryption_type, ...(r.kms_key ? { kmsKey: r.kms_key } : {}),
  };
}

/** The repository-record methods of MetadataStore, synchronous, over an open database. */
export interface SqliteRepositories {
  createRepository(name: string, at: Date, settings?: Partial<RepositorySettings>, tags?: Record<string, string>): Repository | undefined;
  updateRepository(name: string, patch: Partial<RepositorySettings>): Repository | undefined;
  listRepositoryRecords(after: string | undefined, limit: number): Repository[];
  /** Also used inside other methods' transactions (it opens none of its own). */
  getRepository(name: string): Repository | undefined;
  getRepositoryPolicy(name: string): { text: string | undefined } | undefined;
  setRepositoryPolicy(name: string, text: string | undefined): boolean;
  getResourceTags(name: string): Record<string, string> | undefined;
  changeResourceTags(name: string, add: Record<string, string>, remove: readonly string[], max: number): boolean | 'too-many';
}

class TooMany extends Error {}

export function sqliteRepositories(db: Database.Database): SqliteRepositories {
  const p = (sql: string) => db.prepare(sql);
  const s = {
    repoId: p('SELECT id FROM repositories WHERE name = ?').pluck(),
    repoGet: p(`SELECT ${REPO_COLUMNS} FROM repositories WHERE name = ?`),
    repoInsert: p(`INSERT INTO repositories (name, created_at, image_tag_mutability, mutability_filters, scan_on_push, encryption_type, kms_key)
                   VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`),
    repoUpdate: p(`UPDATE repositories SET image_tag_mutability = ?, mutability_filters = ?, scan_on_push = ?, encryption_type = ?, kms_key = ?
                   WHERE name = ?`),
    repoRecords: p(`SELECT ${REPO_COLUMNS} FROM repositories WHERE name > ? ORDER BY name LIMIT ?`),
    policyGet: p('SELECT policy_text FROM repositories WHERE name = ?'),
    policySet: p('UPDATE repositories SET policy_text = ? WHERE name = ?'),
    resTags: p('SELECT key, value FROM repository_tags WHERE repository_id = ? ORDER BY key'),
    resTagPut: p('INSERT INTO repository_tags (repository_id, key, value) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value'),
    resTagDel: p('DELETE FROM repository_tags WHERE repository_id = ? AND key = ?'),
    resTagCount: p('SELECT count(*) FROM repository_tags WHERE repository_id = ?').pluck(),
  };
  const filters = (st: RepositorySettings) => (st.imageTagMutabilityExclusionFilters ? JSON.stringify(st.imageTagMutabilityExclusionFilters) : null);
  const getRepository = (name: string) => {
    const r = s.repoGet.get(name) as Row | undefined;
    return r ? toRepository(r) : undefined;
  };
  const changeTags = db.transaction((name: string, add: Record<string, string>, remove: readonly string[], max: number): boolean => {
    const id = s.repoId.get(name);
    if (id === undefined) return false;
    for (const [k, v] of Object.entries(add)) s.resTagPut.run(id, k, v);
    for (const k of remove) s.resTagDel.run(id, k);
    if ((s.resTagCount.get(id) as number) > max) throw new TooMany(); // rolls the transaction back
    return true;
  });
  return {
    createRepository: (name, at, settings = {}, tags = {}) => db.transaction(() => {
      const st = { ...DEFAULT_SETTINGS, ...settings };
      const r = s.repoInsert.run(name, at.getTime(), st.imageTagMutability, filters(st), st.scanOnPush ? 1 : 0, st.encryptionType, st.kmsKey ?? null);
      if (r.changes !== 1) return undefined;
      const id = s.repoId.get(name);
      for (const [k, v] of Object.entries(tags)) s.resTagPut.run(id, k, v);
      return getRepository(name);
    }).immediate(),
    updateRepository: (name, patch) => db.transaction(() => {
      const current = getRepository(name);
      if (!current) return undefined;
      const st = { ...current, ...patch };
      s.repoUpdate.run(st.imageTagMutability, filters(st), st.scanOnPush ? 1 : 0, st.encryptionType, st.kmsKey ?? null, name);
      return getRepository(name);
    }).immediate(),
    listRepositoryRecords: (after, limit) => (s.repoRecords.all(after ?? '', limit) as Row[]).map(toRepository),
    getRepository,
    getRepositoryPolicy: (name) => {
      const r = s.policyGet.get(name) as Row | undefined;
      return r ? { text: r.policy_text ?? undefined } : undefined;
    },
    setRepositoryPolicy: (name, text) => s.policySet.run(text ?? null, name).changes === 1,
    getResourceTags: (name) => {
      const id = s.repoId.get(name);
      if (id === undefined) return undefined;
      return Object.fromEntries((s.resTags.all(id) as Row[]).map((r) => [r.key, r.value]));
    },
    changeResourceTags: (name, add, remove, max) => {
      try {
        return changeTags.immediate(name, add, remove, max);
      } catch (e) {
        if (e instanceof TooMany) return 'too-many';
        throw e;
      }
    },
  };
}
