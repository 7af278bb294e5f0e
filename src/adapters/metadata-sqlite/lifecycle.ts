// The lifecycle part of the SQLite MetadataStore: policy texts and evaluation times on the repository
// row, the image facts an evaluation reads, and the one preview kept per repository.
import type Database from 'better-sqlite3';
import type { LifecycleAction } from '../../domain/lifecycle/types.ts';
import type { LifecycleImageFacts, LifecyclePolicyRecord, LifecyclePreviewRecord } from '../../ports/metadata-store.ts';

type Row = Record<string, any>;

/** The lifecycle methods of MetadataStore, over an open database (see the port for the contract). */
export interface SqliteLifecycle {
  getLifecyclePolicy(repo: string): LifecyclePolicyRecord | undefined;
  putLifecyclePolicy(repo: string, text: string | undefined): LifecyclePolicyRecord | undefined;
  setLifecycleEvaluatedAt(repo: string, at: Date): boolean;
  listLifecyclePolicies(after: string | undefined, limit: number): { repo: string; text: string }[];
  listLifecycleImages(repo: string, after: string | undefined, limit: number): LifecycleImageFacts[];
  startLifecyclePreview(repo: string, text: string, at: Date, staleBefore: Date): 'started' | 'in-progress' | undefined;
  finishLifecyclePreview(repo: string, startedAt: Date, status: 'COMPLETE' | 'FAILED', results?: readonly LifecycleAction[]): boolean;
  getLifecyclePreview(repo: string): LifecyclePreviewRecord | undefined;
}

function toPolicy(r: Row): LifecyclePolicyRecord {
  return {
    ...(r.lifecycle_policy !== null ? { text: r.lifecycle_policy } : {}),
    ...(r.lifecycle_evaluated_at !== null ? { evaluatedAt: new Date(r.lifecycle_evaluated_at) } : {}),
  };
}

/** Results are kept as JSON with times in epoch milliseconds. */
function encodeResults(results: readonly LifecycleAction[]): string {
  return JSON.stringify(results.map((a) => ({
    digest: a.digest, tags: a.tags, pushedAt: a.pushedAt.getTime(), type: a.type,
    ...(a.targetStorageClass ? { targetStorageClass: a.targetStorageClass } : {}), rulePriority: a.rulePriority, storageClass: a.storageClass,
  })));
}

function decodeResults(text: string): LifecycleAction[] {
  return (JSON.parse(text) as Row[]).map((a) => ({ ...a, pushedAt: new Date(a.pushedAt) }) as LifecycleAction);
}

export function sqliteLifecycle(db: Database.Database): SqliteLifecycle {
  const p = (sql: string) => db.prepare(sql);
  const s = {
    repoId: p('SELECT id FROM repositories WHERE name = ?').pluck(),
    policyGet: p('SELECT lifecycle_policy, lifecycle_evaluated_at FROM repositories WHERE name = ?'),
    policySet: p('UPDATE repositories SET lifecycle_policy = ? WHERE name = ?'),
    policyClear: p('UPDATE repositories SET lifecycle_policy = NULL, lifecycle_evaluated_at = NULL WHERE name = ?'),
    evaluatedSet: p('UPDATE repositories SET lifecycle_evaluated_at = ? WHERE name = ?'),
    policies: p('SELECT name, lifecycle_policy FROM repositories WHERE lifecycle_policy IS NOT NULL AND name > ? ORDER BY name LIMIT ?'),
    images: p(`SELECT m.digest, m.pushed_at, m.last_pulled_at, m.last_archived_at, m.image_status,
                 (SELECT group_concat(t.name, char(10)) FROM tags t WHERE t.repository_id = m.repository_id AND t.digest = m.digest) AS tags,
                 EXISTS (SELECT 1 FROM manifest_references r WHERE r.digest = m.digest AND r.repository_id = m.repository_id AND r.kind = 'manifest') AS referenced
               FROM manifests m WHERE m.repository_id = ? AND m.digest > ? ORDER BY m.digest LIMIT ?`),
    previewState: p('SELECT status, started_at FROM lifecycle_previews WHERE repository_id = ?'),
    previewPut: p(`INSERT INTO lifecycle_previews (repository_id, policy_text, status, results, started_at) VALUES (?, ?, 'IN_PROGRESS', NULL, ?)
                   ON CONFLICT (repository_id) DO UPDATE SET policy_text = excluded.policy_text, status = 'IN_PROGRESS', results = NULL,
                   started_at = excluded.started_at`),
    previewFinish: p(`UPDATE lifecycle_previews SET status = ?, results = ?
                      WHERE repository_id = (SELECT id FROM repositories WHERE name = ?) AND started_at = ? AND status = 'IN_PROGRESS'`),
    previewGet: p(`SELECT p.policy_text, p.status, p.results, p.started_at FROM lifecycle_previews p
                   JOIN repositories r ON r.id = p.repository_id WHERE r.name = ?`),
  };

  return {
    getLifecyclePolicy(repo) {
      const r = s.policyGet.get(repo) as Row | undefined;
      return r ? toPolicy(r) : undefined;
    },

    putLifecyclePolicy(repo, text) {
      return db.transaction(() => {
        const r = s.policyGet.get(repo) as Row | undefined;
        if (!r) return undefined;
        if (text === undefined) s.policyClear.run(repo);
        else s.policySet.run(text, repo);
        return toPolicy(r);
      }).immediate();
    },

    setLifecycleEvaluatedAt(repo, at) {
      return s.evaluatedSet.run(at.getTime(), repo).changes === 1;
    },

    listLifecyclePolicies(after, limit) {
      return (s.policies.all(after ?? '', limit) as Row[]).map((r) => ({ repo: r.name, text: r.lifecycle_policy }));
    },

    listLifecycleImages(repo, after, limit) {
      const id = s.repoId.get(repo);
      if (id === undefined) return [];
      return (s.images.all(id, after ?? '', limit) as Row[]).map((r): LifecycleImageFacts => ({
        digest: r.digest,
        tags: r.tags ? (r.tags as string).split('\n').sort() : [],
        pushedAt: new Date(r.pushed_at),
        ...(r.last_pulled_at ? { lastPulledAt: new Date(r.last_pulled_at) } : {}),
        ...(r.last_archived_at ? { lastArchivedAt: new Date(r.last_archived_at) } : {}),
        storageClass: r.image_status === 'ARCHIVED' ? 'ARCHIVE' : 'STANDARD',
        imageStatus: r.image_status,
        referencedByIndex: r.referenced === 1,
      }));
    },

    startLifecyclePreview(repo, text, at, staleBefore) {
      return db.transaction((): 'started' | 'in-progress' | undefined => {
        const id = s.repoId.get(repo);
        if (id === undefined) return undefined;
        const cur = s.previewState.get(id) as Row | undefined;
        if (cur && cur.status === 'IN_PROGRESS' && cur.started_at >= staleBefore.getTime()) return 'in-progress';
        s.previewPut.run(id, text, at.getTime());
        return 'started';
      }).immediate();
    },

    finishLifecyclePreview(repo, startedAt, status, results) {
      return s.previewFinish.run(status, results ? encodeResults(results) : null, repo, startedAt.getTime()).changes === 1;
    },

    getLifecyclePreview(repo) {
      const r = s.previewGet.get(repo) as Row | undefined;
      if (!r) return undefined;
      return {
        text: r.policy_text, status: r.status, startedAt: new Date(r.started_at),
        ...(r.results !== null ? { results: decodeResults(r.results) } : {}),
      };
    },
  };
}
