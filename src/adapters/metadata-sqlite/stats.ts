// The monitoring part of the SQLite MetadataStore: per-repository image counts and stored bytes
// (RegistryStatistics in the port), one indexed query per page of repositories.
import type Database from 'better-sqlite3';
import type { RepositoryStats } from '../../ports/metadata-store.ts';

/**
 * Both sub-queries walk a primary-key prefix (manifests and manifest_references start with
 * repository_id); `IN (…)` makes each blob count once per repository.
 */
const STATS_SQL = `SELECT r.name,
    (SELECT count(*) FROM manifests m WHERE m.repository_id = r.id) AS images,
    (SELECT coalesce(sum(b.size), 0) FROM blobs b WHERE b.digest IN
       (SELECT x.digest FROM manifest_references x WHERE x.repository_id = r.id AND x.kind = 'blob')) AS stored
  FROM repositories r WHERE r.name > ? ORDER BY r.name LIMIT ?`;

/** repositoryStats over `db` (see the port for the contract). */
export function sqliteRepositoryStats(db: Database.Database): (after: string | undefined, limit: number) => RepositoryStats[] {
  const stmt = db.prepare(STATS_SQL);
  return (after, limit) => (stmt.all(after ?? '', limit) as { name: string; images: number; stored: number }[])
    .map((r) => ({ name: r.name, images: r.images, storedBytes: r.stored }));
}
