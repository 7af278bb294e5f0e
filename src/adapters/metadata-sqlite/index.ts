// MetadataStore on SQLite (better-sqlite3, WAL): the embedded default. better-sqlite3 is synchronous,
// so each port method runs to completion inside one transaction without yielding to the event loop.
import Database from 'better-sqlite3';
import type {
  ManifestRecord, MetadataStore, NewManifest, PutManifestResult, Referrer, Repository, TagDecision, UploadSession,
} from '../../ports/metadata-store.ts';
import { MIGRATIONS } from './migrations.ts';

type Row = Record<string, any>;

export interface SqliteOptions {
  /** Path of the database file, or ':memory:'. */
  path: string;
  /** PRAGMA synchronous: FULL makes every commit durable across power loss (default), NORMAL only across process crashes. */
  synchronous?: 'FULL' | 'NORMAL';
}

export function openSqliteMetadataStore(opts: SqliteOptions): MetadataStore {
  const db = new Database(opts.path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return new SqliteMetadataStore(db);
}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

const ms = (d: Date) => d.getTime();

function toManifest(repo: string, r: Row): ManifestRecord {
  return {
    repo, digest: r.digest, mediaType: r.media_type, size: r.size, bytes: r.bytes,
    artifactType: r.artifact_type ?? undefined, subject: r.subject ?? undefined, pushedAt: new Date(r.pushed_at),
  };
}

class SqliteMetadataStore implements MetadataStore {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      repoId: p('SELECT id FROM repositories WHERE name = ?').pluck(),
      repoGet: p('SELECT name, created_at FROM repositories WHERE name = ?'),
      repoInsert: p('INSERT INTO repositories (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING'),
      repoList: p('SELECT name FROM repositories WHERE name > ? ORDER BY name LIMIT ?').pluck(),
      repoDelete: p('DELETE FROM repositories WHERE name = ?'),
      blobInsert: p('INSERT INTO blobs (digest, size, created_at) VALUES (?, ?, ?) ON CONFLICT (digest) DO NOTHING'),
      linkInsert: p('INSERT INTO repository_blobs (repository_id, digest, linked_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
      linkGet: p(`SELECT b.digest, b.size FROM repository_blobs l JOIN blobs b ON b.digest = l.digest
                  WHERE l.repository_id = (SELECT id FROM repositories WHERE name = ?) AND l.digest = ?`),
      linkExists: p('SELECT 1 FROM repository_blobs WHERE repository_id = ? AND digest = ?').pluck(),
      linkDelete: p('DELETE FROM repository_blobs WHERE repository_id = (SELECT id FROM repositories WHERE name = ?) AND digest = ?'),
      uploadInsert: p('INSERT INTO uploads (id, repository_id, started_at) VALUES (?, ?, ?)'),
      uploadGet: p('SELECT u.id, r.name AS repo, u.started_at FROM uploads u JOIN repositories r ON r.id = u.repository_id WHERE u.id = ?'),
      uploadDelete: p('DELETE FROM uploads WHERE id = ?'),
      uploadsBefore: p('SELECT u.id, r.name AS repo, u.started_at FROM uploads u JOIN repositories r ON r.id = u.repository_id WHERE u.started_at < ?'),
      manifestExists: p('SELECT 1 FROM manifests WHERE repository_id = ? AND digest = ?').pluck(),
      manifestInsert: p(`INSERT INTO manifests (repository_id, digest, media_type, size, bytes, artifact_type, subject, annotations, pushed_at)
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      refInsert: p('INSERT INTO manifest_references (repository_id, manifest_digest, kind, digest) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      manifestGet: p(`SELECT m.digest, m.media_type, m.size, m.bytes, m.artifact_type, m.subject, m.pushed_at FROM manifests m
                      WHERE m.repository_id = (SELECT id FROM repositories WHERE name = ?) AND m.digest = ?`),
      manifestByTag: p(`SELECT m.digest, m.media_type, m.size, m.bytes, m.artifact_type, m.subject, m.pushed_at
                        FROM tags t JOIN manifests m ON m.repository_id = t.repository_id AND m.digest = t.digest
                        WHERE t.repository_id = (SELECT id FROM repositories WHERE name = ?) AND t.name = ?`),
      manifestDelete: p('DELETE FROM manifests WHERE repository_id = (SELECT id FROM repositories WHERE name = ?) AND digest = ?'),
      tagGet: p('SELECT digest FROM tags WHERE repository_id = ? AND name = ?').pluck(),
      tagUpsert: p(`INSERT INTO tags (repository_id, name, digest, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (repository_id, name) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at`),
      tagDelete: p('DELETE FROM tags WHERE repository_id = (SELECT id FROM repositories WHERE name = ?) AND name = ?'),
      tagList: p('SELECT name FROM tags WHERE repository_id = ? AND name > ? ORDER BY name LIMIT ?').pluck(),
      referrers: p(`SELECT digest, media_type, size, artifact_type, annotations FROM manifests
                    WHERE repository_id = (SELECT id FROM repositories WHERE name = ?) AND subject = ? ORDER BY digest`),
    };
  }

  async createRepository(name: string, at: Date): Promise<Repository | undefined> {
    const r = this.s.repoInsert.run(name, ms(at));
    return r.changes === 1 ? { name, createdAt: at } : undefined;
  }

  async getRepository(name: string): Promise<Repository | undefined> {
    const r = this.s.repoGet.get(name) as Row | undefined;
    return r ? { name: r.name, createdAt: new Date(r.created_at) } : undefined;
  }

  async listRepositories(after: string | undefined, limit: number): Promise<string[]> {
    return this.s.repoList.all(after ?? '', limit) as string[];
  }

  async deleteRepository(name: string): Promise<boolean> {
    return this.s.repoDelete.run(name).changes === 1;
  }

  async linkBlob(repo: string, digest: string, size: number, at: Date): Promise<boolean> {
    return this.db.transaction(() => {
      const id = this.s.repoId.get(repo);
      if (id === undefined) return false;
      this.s.blobInsert.run(digest, size, ms(at));
      this.s.linkInsert.run(id, digest, ms(at));
      return true;
    }).immediate();
  }

  async getLinkedBlob(repo: string, digest: string): Promise<{ digest: string; size: number } | undefined> {
    return this.s.linkGet.get(repo, digest) as { digest: string; size: number } | undefined;
  }

  async unlinkBlob(repo: string, digest: string): Promise<boolean> {
    return this.s.linkDelete.run(repo, digest).changes === 1;
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

  async putManifest(repo: string, m: NewManifest, tag: string | undefined, at: Date, decide: TagDecision): Promise<PutManifestResult> {
    return this.db.transaction((): PutManifestResult => {
      const row = this.s.repoGet.get(repo) as Row | undefined;
      if (!row) return { ok: false, reason: 'repository' };
      const id = this.s.repoId.get(repo);
      for (const d of m.blobDigests) if (!this.s.linkExists.get(id, d)) return { ok: false, reason: 'missing', digest: d };
      for (const d of m.childDigests) if (!this.s.manifestExists.get(id, d)) return { ok: false, reason: 'missing', digest: d };
      let created = false;
      if (!this.s.manifestExists.get(id, m.digest)) {
        this.s.manifestInsert.run(id, m.digest, m.mediaType, m.size, m.bytes, m.artifactType ?? null, m.subject ?? null,
          m.annotations ? JSON.stringify(m.annotations) : null, ms(at));
        for (const d of m.blobDigests) this.s.refInsert.run(id, m.digest, 'blob', d);
        for (const d of m.childDigests) this.s.refInsert.run(id, m.digest, 'manifest', d);
        created = true;
      }
      if (tag !== undefined) {
        const current = this.s.tagGet.get(id, tag) as string | undefined;
        decide({ name: row.name, createdAt: new Date(row.created_at) }, tag, current, m.digest);
        if (current !== m.digest) this.s.tagUpsert.run(id, tag, m.digest, ms(at));
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

  async listTags(repo: string, after: string | undefined, limit: number): Promise<string[]> {
    const id = this.s.repoId.get(repo);
    if (id === undefined) return [];
    return this.s.tagList.all(id, after ?? '', limit) as string[];
  }

  async listReferrers(repo: string, subject: string, artifactType?: string): Promise<Referrer[]> {
    const rows = this.s.referrers.all(repo, subject) as Row[];
    return rows
      .filter((r) => artifactType === undefined || r.artifact_type === artifactType)
      .map((r) => ({
        mediaType: r.media_type, digest: r.digest, size: r.size,
        ...(r.artifact_type ? { artifactType: r.artifact_type } : {}),
        ...(r.annotations ? { annotations: JSON.parse(r.annotations) } : {}),
      }));
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
