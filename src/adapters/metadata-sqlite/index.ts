// MetadataStore on SQLite (better-sqlite3, WAL): the embedded default. better-sqlite3 is synchronous,
// so each port method runs to completion inside one transaction without yielding to the event loop.
import Database from 'better-sqlite3';
import type { LifecycleAction } from '../../domain/lifecycle/types.ts';
import type { RepositorySettings } from '../../domain/repository.ts';
import type {
  ImageIdRow, ImageRecord, ImageStatus, ImageStatusFilter, ManifestRecord, MetadataStore, NewManifest, PutManifestResult, Referrer, TagDecision,
  TagPageJson, TagStatus, UploadSession, ImageExpectation, BlobCursor, BlobReservation,
} from '../../ports/metadata-store.ts';
import type { IdentityStore } from '../../ports/identity-store.ts';
import { systemClock, type Clock } from '../../ports/clock.ts';
import { sqliteArchive, type SqliteArchive } from './archive.ts';
import { sqliteBlobGc, type SqliteBlobGc } from './blob-gc.ts';
import { sqliteIdentityStore } from './identity.ts';
import { sqliteLifecycle, type SqliteLifecycle } from './lifecycle.ts';
import { sqliteRepositories, type SqliteRepositories } from './repositories.ts';
import { sqliteRepositoryStats } from './stats.ts';
import { MIGRATIONS } from './migrations.ts';
import { GroupCommit } from './durable.ts';
import { imageMatcher, type ImageMatcher } from './expect.ts';
import { noSpaceGuard } from './no-space.ts';
import { silentStorageHealth, type StorageHealth } from '../../ports/storage-health.ts';

type Row = Record<string, any>;

export interface SqliteOptions {
  /** Path of the database file, or ':memory:'. */
  path: string;
  /** PRAGMA synchronous: FULL makes every commit durable across power loss (default), NORMAL only across process crashes. */
  synchronous?: 'FULL' | 'NORMAL';
  /** Time the store records on its own: when a deleted manifest releases its blobs (default: system clock). */
  clock?: Clock;
  /** Hears of writes that fail for lack of space (they throw StorageFull) and of the first that succeeds after. */
  health?: StorageHealth;
}

export function openSqliteMetadataStore(opts: SqliteOptions): MetadataStore {
  return openSqlite(opts).meta;
}

/** Opens the database once and returns every store that lives in it. */
export function openSqlite(opts: SqliteOptions): { meta: MetadataStore; identity: IdentityStore } {
  const db = new Database(opts.path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const clock = opts.clock ?? systemClock;
  db.function('wharf_now_ms', () => clock.now().getTime()); // used by the trigger of migration 6
  migrate(db);
  const guard = noSpaceGuard(db, opts.health ?? silentStorageHealth);
  return { meta: guard.wrap(new SqliteMetadataStore(db)), identity: guard.wrap(sqliteIdentityStore(db)) };
}

/** Thrown when wharf.db was made by a newer Wharf: its schema is past every migration this one knows. */
export class SchemaTooNewError extends Error {}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    db.close();
    throw new SchemaTooNewError(`the database was made by a newer Wharf (schema version ${version}; this one knows ${MIGRATIONS.length}): downgrades are not supported, restore the backup taken before the upgrade`);
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

const ms = (d: Date) => d.getTime();

function toImage(r: Row): ImageRecord {
  return {
    digest: r.digest, mediaType: r.media_type, size: r.image_size, pushedAt: new Date(r.pushed_at),
    ...(r.last_pulled_at ? { lastPulledAt: new Date(r.last_pulled_at) } : {}),
    ...(r.artifact_type ? { artifactType: r.artifact_type } : {}),
    ...(r.config_media_type ? { configMediaType: r.config_media_type } : {}),
    ...(r.subject ? { subject: r.subject } : {}),
    tags: r.tags ? (r.tags as string).split('\n').sort() : [],
    imageStatus: r.image_status,
    ...(r.last_archived_at ? { lastArchivedAt: new Date(r.last_archived_at) } : {}),
    ...(r.last_activated_at ? { lastActivatedAt: new Date(r.last_activated_at) } : {}),
  };
}

const IMAGE_SELECT = `SELECT m.digest, m.media_type, m.image_size, m.pushed_at, m.last_pulled_at, m.artifact_type, m.config_media_type, m.subject,
  m.image_status, m.last_archived_at, m.last_activated_at,
  (SELECT group_concat(t.name, char(10)) FROM tags t WHERE t.repository_id = m.repository_id AND t.digest = m.digest) AS tags
  FROM manifests m`;

const TAG_STATUS_SQL: Record<TagStatus, string> = {
  ANY: '',
  TAGGED: 'AND EXISTS (SELECT 1 FROM tags t WHERE t.repository_id = m.repository_id AND t.digest = m.digest)',
  UNTAGGED: 'AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.repository_id = m.repository_id AND t.digest = m.digest)',
};

/** `@status` binds an ImageStatusFilter: 'ANY', or the one status to keep. */
const IMAGE_STATUS_SQL = `AND (@status = 'ANY' OR m.image_status = @status)`;

function toManifest(repo: string, r: Row): ManifestRecord {
  return {
    repo, digest: r.digest, mediaType: r.media_type, size: r.size, bytes: r.bytes,
    artifactType: r.artifact_type ?? undefined, subject: r.subject ?? undefined, pushedAt: new Date(r.pushed_at),
    ...(r.last_pulled_at ? { lastPulledAt: new Date(r.last_pulled_at) } : {}),
    ...(r.image_status !== 'ACTIVE' ? { imageStatus: r.image_status as Exclude<ImageStatus, 'ACTIVE'> } : {}),
  };
}

class SqliteMetadataStore implements MetadataStore {
  private readonly s;
  private readonly durable: GroupCommit;
  private readonly matches: ImageMatcher;
  private readonly repos: SqliteRepositories;

  constructor(private readonly db: Database.Database) {
    this.durable = new GroupCommit(db);
    this.repos = sqliteRepositories(db);
    this.matches = imageMatcher(db);
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      repoId: p('SELECT id FROM repositories WHERE name = ?').pluck(),
      accessVersion: p('SELECT v FROM access_version WHERE id = 1').pluck(),
      repoHasImages: p('SELECT 1 FROM manifests WHERE repository_id = ? LIMIT 1').pluck(),
      imagesAfter: Object.fromEntries((['ANY', 'TAGGED', 'UNTAGGED'] as TagStatus[]).map((st) => [st,
        p(`${IMAGE_SELECT} WHERE m.repository_id = @id AND m.digest > @after ${TAG_STATUS_SQL[st]} ${IMAGE_STATUS_SQL} ORDER BY m.digest LIMIT @limit`)])) as Record<TagStatus, Database.Statement>,
      imageGet: p(`${IMAGE_SELECT} WHERE m.repository_id = ? AND m.digest = ?`),
      imageIds: Object.fromEntries((['ANY', 'TAGGED', 'UNTAGGED'] as TagStatus[]).map((st) => [st,
        p(`SELECT digest, tag FROM (
             SELECT m.digest AS digest, t.name AS tag FROM manifests m LEFT JOIN tags t ON t.repository_id = m.repository_id AND t.digest = m.digest
             WHERE m.repository_id = @id ${st === 'TAGGED' ? 'AND t.name IS NOT NULL' : st === 'UNTAGGED' ? 'AND t.name IS NULL' : ''} ${IMAGE_STATUS_SQL})
           WHERE (digest > @after OR (digest = @after AND coalesce(tag, '') > @tag)) ORDER BY digest, coalesce(tag, '') LIMIT @limit`)])) as Record<TagStatus, Database.Statement>,
      // (named parameters: better-sqlite3 does not bind numbered ?NNN ones positionally)
      pullSet: p(`UPDATE manifests SET last_pulled_at = @at WHERE repository_id = (SELECT id FROM repositories WHERE name = @repo) AND digest = @digest
                  AND (last_pulled_at IS NULL OR last_pulled_at < @before)
                  AND NOT EXISTS (SELECT 1 FROM pull_time_exclusions WHERE principal_arn = @principal)`),
      settingGet: p('SELECT value FROM registry_settings WHERE name = ?').pluck(),
      settingPut: p('INSERT INTO registry_settings (name, value) VALUES (?, ?) ON CONFLICT DO UPDATE SET value = excluded.value'),
      settingDel: p('DELETE FROM registry_settings WHERE name = ?'),
      repoList: p('SELECT name FROM repositories WHERE name > ? ORDER BY name LIMIT ?').pluck(),
      repoDelete: p('DELETE FROM repositories WHERE name = ?'),
      linkGet: p(`SELECT b.digest, b.size FROM repository_blobs l JOIN blobs b ON b.digest = l.digest
                  WHERE l.repository_id = (SELECT id FROM repositories WHERE name = ?) AND l.digest = ?`),
      linkExists: p('SELECT 1 FROM repository_blobs WHERE repository_id = ? AND digest = ?').pluck(),
      linkDeleteById: p('DELETE FROM repository_blobs WHERE repository_id = ? AND digest = ?'),
      blobReferencedIn: p(`SELECT 1 FROM manifest_references WHERE repository_id = ? AND kind = 'blob' AND digest = ? LIMIT 1`).pluck(),
      uploadInsert: p('INSERT INTO uploads (id, repository_id, started_at) VALUES (?, ?, ?)'),
      uploadGet: p('SELECT u.id, r.name AS repo, u.started_at FROM uploads u JOIN repositories r ON r.id = u.repository_id WHERE u.id = ?'),
      uploadDelete: p('DELETE FROM uploads WHERE id = ?'),
      uploadsBefore: p('SELECT u.id, r.name AS repo, u.started_at FROM uploads u JOIN repositories r ON r.id = u.repository_id WHERE u.started_at < ?'),
      manifestExists: p('SELECT 1 FROM manifests WHERE repository_id = ? AND digest = ?').pluck(),
      manifestStatus: p('SELECT image_status FROM manifests WHERE repository_id = ? AND digest = ?').pluck(),
      manifestRestore: p(`UPDATE manifests SET image_status = 'ACTIVE', last_activated_at = ? WHERE repository_id = ? AND digest = ?`),
      manifestInsert: p(`INSERT INTO manifests (repository_id, digest, media_type, size, bytes, artifact_type, subject, annotations, pushed_at,
                         image_size, config_media_type) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      refInsert: p('INSERT INTO manifest_references (repository_id, manifest_digest, kind, digest) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      manifestGet: p(`SELECT m.digest, m.media_type, m.size, m.bytes, m.artifact_type, m.subject, m.pushed_at, m.last_pulled_at, m.image_status FROM manifests m
                      WHERE m.repository_id = (SELECT id FROM repositories WHERE name = ?) AND m.digest = ?`),
      manifestByTag: p(`SELECT m.digest, m.media_type, m.size, m.bytes, m.artifact_type, m.subject, m.pushed_at, m.last_pulled_at, m.image_status
                        FROM tags t JOIN manifests m ON m.repository_id = t.repository_id AND m.digest = t.digest
                        WHERE t.repository_id = (SELECT id FROM repositories WHERE name = ?) AND t.name = ?`),
      manifestDelete: p('DELETE FROM manifests WHERE repository_id = (SELECT id FROM repositories WHERE name = ?) AND digest = ?'),
      tagGet: p('SELECT digest FROM tags WHERE repository_id = ? AND name = ?').pluck(),
      tagUpsert: p(`INSERT INTO tags (repository_id, name, digest, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (repository_id, name) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at`),
      tagDelete: p('DELETE FROM tags WHERE repository_id = (SELECT id FROM repositories WHERE name = ?) AND name = ?'),
      // The aggregate takes the rows in the subquery's order (SQLite feeds an ordered, limited
      // subquery to it as a co-routine); the contract test checks the order on thousands of names.
      // Blob references of the repository's images, by status: [archived ones, others].
      blobRefStatus: p(`SELECT coalesce(sum(m.image_status = 'ARCHIVED'), 0) AS archived, coalesce(sum(m.image_status <> 'ARCHIVED'), 0) AS other
                        FROM manifest_references r JOIN manifests m ON m.repository_id = r.repository_id AND m.digest = r.manifest_digest
                        WHERE r.repository_id = (SELECT id FROM repositories WHERE name = ?) AND r.kind = 'blob' AND r.digest = ?`),
      manifestUsingBlob: p(`SELECT m.digest, m.media_type, m.size, m.bytes, m.artifact_type, m.subject, m.pushed_at, m.last_pulled_at, m.image_status
                            FROM manifest_references r JOIN manifests m ON m.repository_id = r.repository_id AND m.digest = r.manifest_digest
                            WHERE r.repository_id = (SELECT id FROM repositories WHERE name = ?) AND r.kind = 'blob' AND r.digest = ?
                            ORDER BY m.pushed_at DESC, m.digest LIMIT 1`),
      tagListJson: p(`SELECT json_group_array(name) FROM (SELECT name FROM tags
                      WHERE repository_id = (SELECT id FROM repositories WHERE name = ?) AND name > ? ORDER BY name LIMIT ?)`).pluck(),
      referrers: p(`SELECT digest, media_type, size, artifact_type, annotations FROM manifests m
                    WHERE repository_id = (SELECT id FROM repositories WHERE name = @repo) AND subject = @subject ${IMAGE_STATUS_SQL} ORDER BY digest`),
      // BatchDeleteImage: is the image a child of some index in the repository; its tags; delete by id.
      refByManifest: p(`SELECT 1 FROM manifest_references WHERE repository_id = ? AND kind = 'manifest' AND digest = ? LIMIT 1`).pluck(),
      tagsOf: p('SELECT name FROM tags WHERE repository_id = ? AND digest = ? ORDER BY name').pluck(),
      tagDeleteById: p('DELETE FROM tags WHERE repository_id = ? AND name = ?'),
      manifestDeleteById: p('DELETE FROM manifests WHERE repository_id = ? AND digest = ?'),
    };
  }

  // --- repository records: SQL in repositories.ts ---
  async createRepository(name: string, at: Date, settings: Partial<RepositorySettings> = {}, tags: Record<string, string> = {}) {
    return this.repos.createRepository(name, at, settings, tags);
  }
  async updateRepository(name: string, patch: Partial<RepositorySettings>) { return this.repos.updateRepository(name, patch); }
  async listRepositoryRecords(after: string | undefined, limit: number) { return this.repos.listRepositoryRecords(after, limit); }
  async getRepository(name: string) { return this.repos.getRepository(name); }
  async getRepositoryPolicy(name: string) { return this.repos.getRepositoryPolicy(name); }
  async setRepositoryPolicy(name: string, text: string | undefined) { return this.repos.setRepositoryPolicy(name, text); }
  async getResourceTags(name: string) { return this.repos.getResourceTags(name); }
  async changeResourceTags(name: string, add: Record<string, string>, remove: readonly string[], max: number) {
    return this.repos.changeResourceTags(name, add, remove, max);
  }

  async listImages(repo: string, after: string | undefined, limit: number, tagStatus: TagStatus = 'ANY', imageStatus: ImageStatusFilter = 'ANY'): Promise<ImageRecord[]> {
    const id = this.s.repoId.get(repo);
    if (id === undefined) return [];
    return (this.s.imagesAfter[tagStatus].all({ id, after: after ?? '', limit, status: imageStatus }) as Row[]).map(toImage);
  }

  async getImages(repo: string, digests: readonly string[]): Promise<ImageRecord[]> {
    const id = this.s.repoId.get(repo);
    if (id === undefined) return [];
    return digests.map((d) => this.s.imageGet.get(id, d) as Row | undefined).filter((r): r is Row => !!r).map(toImage);
  }

  async listImageIds(repo: string, after: ImageIdRow | undefined, limit: number, tagStatus: TagStatus = 'ANY', imageStatus: ImageStatusFilter = 'ANY'): Promise<ImageIdRow[]> {
    const id = this.s.repoId.get(repo);
    if (id === undefined) return [];
    const rows = this.s.imageIds[tagStatus].all({ id, after: after?.digest ?? '', tag: after?.tag ?? '', limit, status: imageStatus }) as Row[];
    // The first row of an untagged digest has tag '' in the cursor, so `after` excludes it exactly once.
    return rows.map((r) => (r.tag ? { digest: r.digest, tag: r.tag } : { digest: r.digest }));
  }

  async resolveTag(repo: string, tag: string): Promise<string | undefined> {
    const id = this.s.repoId.get(repo);
    return id === undefined ? undefined : (this.s.tagGet.get(id, tag) as string | undefined);
  }

  async recordPull(repo: string, digest: string, at: Date, minIntervalMs: number, principalArn?: string): Promise<void> {
    this.s.pullSet.run({ repo, digest, at: ms(at), before: ms(at) - minIntervalMs, principal: principalArn ?? null });
  }

  async accessVersion(): Promise<number> {
    return this.s.accessVersion.get() as number;
  }

  async getSetting(name: string): Promise<string | undefined> {
    return this.s.settingGet.get(name) as string | undefined;
  }

  async putSetting(name: string, value: string | undefined): Promise<void> {
    if (value === undefined) this.s.settingDel.run(name);
    else this.s.settingPut.run(name, value);
  }

  async listRepositories(after: string | undefined, limit: number): Promise<string[]> {
    return this.s.repoList.all(after ?? '', limit) as string[];
  }

  async deleteRepository(name: string, opts: { onlyIfEmpty?: boolean } = {}): Promise<boolean | 'not-empty'> {
    return this.db.transaction((): boolean | 'not-empty' => {
      const id = this.s.repoId.get(name);
      if (id === undefined) return false;
      if (opts.onlyIfEmpty && this.s.repoHasImages.get(id)) return 'not-empty';
      return this.s.repoDelete.run(name).changes === 1;
    }).immediate();
  }

  async linkBlob(repo: string, digest: string, size: number, at: Date): Promise<boolean> {
    return this.gc.linkBlob(repo, digest, size, at);
  }

  async getLinkedBlob(repo: string, digest: string): Promise<{ digest: string; size: number } | undefined> {
    return this.s.linkGet.get(repo, digest) as { digest: string; size: number } | undefined;
  }

  async unlinkBlob(repo: string, digest: string): Promise<boolean | 'referenced'> {
    return this.db.transaction(() => {
      const id = this.s.repoId.get(repo) as number | undefined;
      if (id === undefined || !this.s.linkExists.get(id, digest)) return false;
      if (this.s.blobReferencedIn.get(id, digest)) return 'referenced' as const;
      return this.s.linkDeleteById.run(id, digest).changes === 1;
    }).immediate();
  }

  async createUpload(session: UploadSession): Promise<boolean> {
    return this.db.transaction(() => {
      const id = this.s.repoId.get(session.repo);
      if (id === undefined) return false;
      this.s.uploadInsert.run(session.id, id, ms(session.startedAt));
      return true;
    }).immediate();
  }

  async getUpload(id: string): Promise<UploadSession | undefined> {
    const r = this.s.uploadGet.get(id) as Row | undefined;
    return r ? { id: r.id, repo: r.repo, startedAt: new Date(r.started_at) } : undefined;
  }

  async deleteUpload(id: string): Promise<void> {
    this.s.uploadDelete.run(id);
  }

  async listUploadsStartedBefore(before: Date): Promise<UploadSession[]> {
    return (this.s.uploadsBefore.all(ms(before)) as Row[]).map((r) => ({ id: r.id, repo: r.repo, startedAt: new Date(r.started_at) }));
  }

  async putManifest(repo: string, m: NewManifest, tag: string | readonly string[] | undefined, at: Date, decide: TagDecision): Promise<PutManifestResult> {
    const tags = tag === undefined ? [] : typeof tag === 'string' ? [tag] : tag;
    return this.db.transaction((): PutManifestResult => {
      const repository = this.repos.getRepository(repo);
      if (!repository) return { ok: false, reason: 'repository' };
      const id = this.s.repoId.get(repo);
      for (const d of m.blobDigests) if (!this.s.linkExists.get(id, d)) return { ok: false, reason: 'missing', digest: d };
      // An archived child cannot be pulled, so an index naming one is refused as if the child were absent.
      for (const d of m.childDigests) if (this.s.manifestStatus.get(id, d) !== 'ACTIVE') return { ok: false, reason: 'missing', digest: d };
      let created = false;
      const status = this.s.manifestStatus.get(id, m.digest) as ImageStatus | undefined;
      // Pushing an archived image again restores it at once (ECR does the same).
      if (status !== undefined && status !== 'ACTIVE') this.s.manifestRestore.run(ms(at), id, m.digest);
      if (status === undefined) {
        this.s.manifestInsert.run(id, m.digest, m.mediaType, m.size, m.bytes, m.artifactType ?? null, m.subject ?? null,
          m.annotations ? JSON.stringify(m.annotations) : null, ms(at), m.imageSize ?? 0, m.configMediaType ?? null);
        for (const d of m.blobDigests) this.s.refInsert.run(id, m.digest, 'blob', d);
        for (const d of m.childDigests) this.s.refInsert.run(id, m.digest, 'manifest', d);
        created = true;
      }
      for (const t of tags) {
        const current = this.s.tagGet.get(id, t) as string | undefined;
        decide(repository, t, current, m.digest);
        if (current !== m.digest) this.s.tagUpsert.run(id, t, m.digest, ms(at));
      }
      return { ok: true, created };
    }).immediate();
  }

  async getManifest(repo: string, digest: string): Promise<ManifestRecord | undefined> {
    const r = this.s.manifestGet.get(repo, digest) as Row | undefined;
    return r ? toManifest(repo, r) : undefined;
  }

  async getManifestByTag(repo: string, tag: string): Promise<ManifestRecord | undefined> {
    const r = this.s.manifestByTag.get(repo, tag) as Row | undefined;
    return r ? toManifest(repo, r) : undefined;
  }

  async deleteManifest(repo: string, digest: string): Promise<boolean> {
    return this.s.manifestDelete.run(repo, digest).changes === 1;
  }

  async deleteTag(repo: string, tag: string): Promise<boolean> {
    return this.s.tagDelete.run(repo, tag).changes === 1;
  }

  async listTagsJson(repo: string, after: string | undefined, limit: number): Promise<TagPageJson | undefined> {
    // One statement for the usual page: limit + 1 names, the extra one only saying that more follow.
    let json = limit > 0 ? this.s.tagListJson.get(repo, after ?? '', limit + 1) as string : '[]';
    if (json === '[]') return this.s.repoId.get(repo) === undefined ? undefined : { json, more: false };
    // Tag names hold no quote, comma or backslash (domain/names.ts): elements are split by commas.
    let commas = 0;
    for (let i = json.indexOf(','); i >= 0 && commas < limit; i = json.indexOf(',', i + 1)) commas++;
    const more = commas === limit;
    if (more) json = `${json.slice(0, json.lastIndexOf(','))}]`;
    const last = json.slice(json.lastIndexOf('"', json.length - 3) + 1, json.length - 2);
    return { json, last, more };
  }

  async listReferrers(repo: string, subject: string, artifactType?: string, imageStatus: ImageStatusFilter = 'ANY'): Promise<Referrer[]> {
    const rows = this.s.referrers.all({ repo, subject, status: imageStatus }) as Row[];
    return rows
      .filter((r) => artifactType === undefined || r.artifact_type === artifactType)
      .map((r) => ({
        mediaType: r.media_type, digest: r.digest, size: r.size,
        ...(r.artifact_type ? { artifactType: r.artifact_type } : {}),
        ...(r.annotations ? { annotations: JSON.parse(r.annotations) } : {}),
      }));
  }

  async blobInArchivedImagesOnly(repo: string, digest: string): Promise<boolean> {
    const r = this.s.blobRefStatus.get(repo, digest) as { archived: number; other: number };
    return r.archived > 0 && r.other === 0;
  }

  async latestManifestUsingBlob(repo: string, digest: string): Promise<ManifestRecord | undefined> {
    const r = this.s.manifestUsingBlob.get(repo, digest) as Row | undefined;
    return r ? toManifest(repo, r) : undefined;
  }

  async deleteImage(repo: string, digest: string, expect?: ImageExpectation): Promise<{ tags: string[] } | 'referenced' | 'changed' | undefined> {
    return this.db.transaction((): { tags: string[] } | 'referenced' | 'changed' | undefined => {
      const id = this.s.repoId.get(repo) as number | undefined;
      if (id === undefined || !this.s.manifestExists.get(id, digest)) return undefined;
      if (expect && !this.matches(id, digest, expect)) return 'changed';
      if (this.s.refByManifest.get(id, digest)) return 'referenced';
      const tags = this.s.tagsOf.all(id, digest) as string[];
      this.s.manifestDeleteById.run(id, digest);
      return { tags };
    }).immediate();
  }

  async untagImage(repo: string, tag: string, digest?: string): Promise<{ digest: string; imageDeleted: boolean } | 'mismatch' | undefined> {
    return this.db.transaction((): { digest: string; imageDeleted: boolean } | 'mismatch' | undefined => {
      const id = this.s.repoId.get(repo);
      if (id === undefined) return undefined;
      const current = this.s.tagGet.get(id, tag) as string | undefined;
      if (current === undefined) return undefined;
      if (digest !== undefined && digest !== current) return 'mismatch';
      this.s.tagDeleteById.run(id, tag);
      const last = (this.s.tagsOf.all(id, current) as string[]).length === 0;
      const imageDeleted = last && !this.s.refByManifest.get(id, current);
      if (imageDeleted) this.s.manifestDeleteById.run(id, current);
      return { digest: current, imageDeleted };
    }).immediate();
  }

  // --- lifecycle policies: SQL in lifecycle.ts ---
  private lcStatements?: SqliteLifecycle;
  private get lc(): SqliteLifecycle { return (this.lcStatements ??= sqliteLifecycle(this.db)); }
  async getLifecyclePolicy(repo: string) { return this.lc.getLifecyclePolicy(repo); }
  async putLifecyclePolicy(repo: string, text: string | undefined) { return this.lc.putLifecyclePolicy(repo, text); }
  async setLifecycleEvaluatedAt(repo: string, at: Date) { return this.lc.setLifecycleEvaluatedAt(repo, at); }
  async listLifecyclePolicies(after: string | undefined, limit: number) { return this.lc.listLifecyclePolicies(after, limit); }
  async listLifecycleImages(repo: string, after: string | undefined, limit: number) { return this.lc.listLifecycleImages(repo, after, limit); }
  async startLifecyclePreview(repo: string, text: string, at: Date, staleBefore: Date) { return this.lc.startLifecyclePreview(repo, text, at, staleBefore); }
  async finishLifecyclePreview(repo: string, startedAt: Date, status: 'COMPLETE' | 'FAILED', results?: readonly LifecycleAction[]) {
    return this.lc.finishLifecyclePreview(repo, startedAt, status, results);
  }
  async getLifecyclePreview(repo: string) { return this.lc.getLifecyclePreview(repo); }

  // --- archive storage class and pull-time update exclusions: SQL in archive.ts ---
  private archiveStatements?: SqliteArchive;
  private get archive(): SqliteArchive { return (this.archiveStatements ??= sqliteArchive(this.db)); }
  async changeImageStatus(repo: string, digest: string, from: readonly ImageStatus[], to: ImageStatus, at: Date, expect?: ImageExpectation) {
    return this.archive.changeImageStatus(repo, digest, from, to, at, expect);
  }
  async addPullTimeExclusion(principalArn: string, at: Date, max: number) { return this.archive.addPullTimeExclusion(principalArn, at, max); }
  async removePullTimeExclusion(principalArn: string) { return this.archive.removePullTimeExclusion(principalArn); }
  async listPullTimeExclusions(after: string | undefined, limit: number) { return this.archive.listPullTimeExclusions(after, limit); }

  // --- garbage collection: SQL in blob-gc.ts ---
  private gcStatements?: SqliteBlobGc;
  private get gc(): SqliteBlobGc { return (this.gcStatements ??= sqliteBlobGc(this.db)); }
  async reserveBlob(digest: string, size: number, at: Date) { return this.gc.reserveBlob(digest, size, at); }
  // The 201 of a push or a mount waits for these; their fsync is shared and off the event loop.
  async linkReservedBlob(repo: string, r: BlobReservation, size: number, at: Date) { return this.durable.commit(() => this.gc.linkReservedBlob(repo, r, size, at)); }
  async mountBlob(repo: string, from: string, digest: string, at: Date) { return this.durable.commit(() => this.gc.mountBlob(repo, from, digest, at)); }
  async listUnreferencedBlobs(cutoff: Date, after: BlobCursor | undefined, limit: number) { return this.gc.listUnreferencedBlobs(cutoff, after, limit); }
  async markBlobsForDeletion(digests: readonly string[], cutoff: Date, at: Date, owner: string) {
    return this.gc.markBlobsForDeletion(digests, cutoff, at, owner);
  }
  async listMarkedBlobs(limit: number) { return this.gc.listMarkedBlobs(limit); }
  async forgetMarkedBlobs(digests: readonly string[]) { return this.gc.forgetMarkedBlobs(digests); }

  // --- monitoring: SQL in stats.ts ---
  private statsQuery?: ReturnType<typeof sqliteRepositoryStats>;
  async repositoryStats(after: string | undefined, limit: number) { return (this.statsQuery ??= sqliteRepositoryStats(this.db))(after, limit); }

  async close(): Promise<void> {
    this.db.close();
  }
}

