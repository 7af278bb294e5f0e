// The archive part of the SQLite MetadataStore: moving images between storage states (manifests.
// image_status, last_archived_at, last_activated_at) and the pull-time update exclusion list.
import type Database from 'better-sqlite3';
import type { ImageExpectation, ImageStatus, ImageStatusChange, PullTimeExclusion } from '../../ports/metadata-store.ts';
import { imageMatcher } from './expect.ts';

type Row = Record<string, any>;

/** The archive methods of MetadataStore, over an open database (see the port for the contract). */
export interface SqliteArchive {
  changeImageStatus(repo: string, digest: string, from: readonly ImageStatus[], to: ImageStatus, at: Date, expect?: ImageExpectation): ImageStatusChange | undefined;
  addPullTimeExclusion(principalArn: string, at: Date, max: number): { createdAt: Date } | 'exists' | 'limit';
  removePullTimeExclusion(principalArn: string): boolean;
  listPullTimeExclusions(after: string | undefined, limit: number): PullTimeExclusion[];
}

export function sqliteArchive(db: Database.Database): SqliteArchive {
  const p = (sql: string) => db.prepare(sql);
  const s = {
    repoId: p('SELECT id FROM repositories WHERE name = ?').pluck(),
    status: p('SELECT image_status FROM manifests WHERE repository_id = ? AND digest = ?').pluck(),
    // An index in the repository, not archived, that lists the image as a child.
    activeParent: p(`SELECT 1 FROM manifest_references r JOIN manifests m ON m.repository_id = r.repository_id AND m.digest = r.manifest_digest
                     WHERE r.repository_id = ? AND r.kind = 'manifest' AND r.digest = ? AND m.image_status <> 'ARCHIVED' LIMIT 1`).pluck(),
    archivedChildren: p(`SELECT r.digest FROM manifest_references r JOIN manifests m ON m.repository_id = r.repository_id AND m.digest = r.digest
                         WHERE r.repository_id = ? AND r.manifest_digest = ? AND r.kind = 'manifest' AND m.image_status = 'ARCHIVED'`).pluck(),
    archive: p(`UPDATE manifests SET image_status = 'ARCHIVED', last_archived_at = ? WHERE repository_id = ? AND digest = ?`),
    activate: p('UPDATE manifests SET image_status = ?, last_activated_at = ? WHERE repository_id = ? AND digest = ?'),
    exclusionExists: p('SELECT 1 FROM pull_time_exclusions WHERE principal_arn = ?').pluck(),
    exclusionInsert: p('INSERT INTO pull_time_exclusions (principal_arn, created_at) VALUES (?, ?)'),
    exclusionCount: p('SELECT count(*) FROM pull_time_exclusions').pluck(),
    exclusionDelete: p('DELETE FROM pull_time_exclusions WHERE principal_arn = ?'),
    exclusions: p('SELECT principal_arn, created_at FROM pull_time_exclusions WHERE principal_arn > ? ORDER BY principal_arn LIMIT ?'),
  };

  const matches = imageMatcher(db);

  /** Activates `digest` and, through indexes, every archived image it references. */
  function activate(id: number, digest: string, to: ImageStatus, at: number): void {
    const todo = [digest];
    const seen = new Set<string>();
    while (todo.length > 0) {
      const d = todo.pop()!;
      if (seen.has(d)) continue;
      seen.add(d);
      s.activate.run(to, at, id, d);
      todo.push(...(s.archivedChildren.all(id, d) as string[]));
    }
  }

  return {
    changeImageStatus(repo, digest, from, to, at, expect) {
      return db.transaction((): ImageStatusChange | undefined => {
        const id = s.repoId.get(repo) as number | undefined;
        if (id === undefined) return undefined;
        const current = s.status.get(id, digest) as ImageStatus | undefined;
        if (current === undefined) return undefined;
        if (expect && !matches(id, digest, expect)) return { ok: false, reason: 'changed' };
        if (!from.includes(current)) return { ok: false, reason: 'from', current };
        if (to === 'ARCHIVED') {
          if (s.activeParent.get(id, digest)) return { ok: false, reason: 'referenced' };
          s.archive.run(at.getTime(), id, digest);
        } else {
          activate(id, digest, to, at.getTime());
        }
        return { ok: true, previous: current };
      }).immediate();
    },

    addPullTimeExclusion(principalArn, at, max) {
      return db.transaction((): { createdAt: Date } | 'exists' | 'limit' => {
        if (s.exclusionExists.get(principalArn)) return 'exists';
        if ((s.exclusionCount.get() as number) >= max) return 'limit';
        s.exclusionInsert.run(principalArn, at.getTime());
        return { createdAt: at };
      }).immediate();
    },

    removePullTimeExclusion(principalArn) {
      return s.exclusionDelete.run(principalArn).changes === 1;
    },

    listPullTimeExclusions(after, limit) {
      return (s.exclusions.all(after ?? '', limit) as Row[]).map((r) => ({ principalArn: r.principal_arn, createdAt: new Date(r.created_at) }));
    },
  };
}
