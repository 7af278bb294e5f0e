// The garbage-collection part of the SQLite MetadataStore: blob reservations and links that fence
// installs against a running collection, mounts, collection candidates and deletion marks (blobs.
// touched_at, generation, marked_at, marked_by). The protocol is in docs/lifecycle.md.
import { randomInt } from 'node:crypto';
import type Database from 'better-sqlite3';
import { withoutSync } from './durable.ts';
import type { BlobCursor, BlobReservation, BlobRow, MarkedBlob } from '../../ports/metadata-store.ts';

type Row = Record<string, any>;

/** The blob methods of MetadataStore that garbage collection relies on (see the port for the contract). */
export interface SqliteBlobGc {
  linkBlob(repo: string, digest: string, size: number, at: Date): boolean;
  reserveBlob(digest: string, size: number, at: Date): BlobReservation | 'marked';
  linkReservedBlob(repo: string, r: BlobReservation, size: number, at: Date): 'linked' | 'collected' | 'no-repository';
  mountBlob(repo: string, from: string, digest: string, at: Date): { digest: string; size: number } | 'no-repository' | undefined;
  listUnreferencedBlobs(cutoff: Date, after: BlobCursor | undefined, limit: number): { blobs: BlobRow[]; next?: BlobCursor };
  markBlobsForDeletion(digests: readonly string[], cutoff: Date, at: Date, owner: string): BlobRow[];
  listMarkedBlobs(limit: number): MarkedBlob[];
  forgetMarkedBlobs(digests: readonly string[]): number;
}

const toBlobRow = (r: Row): BlobRow => ({ digest: r.digest, size: r.size, touchedAt: new Date(r.touched_at) });

/** A new row incarnation: random, so a row created again after a collection never repeats the old one. */
const newGeneration = () => randomInt(1, 2 ** 48);

export function sqliteBlobGc(db: Database.Database): SqliteBlobGc {
  const p = (sql: string) => db.prepare(sql);
  const s = {
    repoId: p('SELECT id FROM repositories WHERE name = ?').pluck(),
    blob: p('SELECT digest, size, touched_at, generation, marked_at FROM blobs WHERE digest = ?'),
    insert: p('INSERT INTO blobs (digest, size, created_at, touched_at, generation) VALUES (?, ?, ?, ?, ?)'),
    touch: p('UPDATE blobs SET touched_at = max(touched_at, ?) WHERE digest = ?'),
    sizeAndTouch: p('UPDATE blobs SET size = ?, touched_at = max(touched_at, ?) WHERE digest = ?'),
    link: p('INSERT INTO repository_blobs (repository_id, digest, linked_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
    linkedSize: p('SELECT b.size FROM repository_blobs l JOIN blobs b ON b.digest = l.digest WHERE l.repository_id = ? AND l.digest = ?').pluck(),
    // Walks blobs_touched (touched_at, digest), `limit` rows at most; each costs one probe of manifest_references_digest.
    examine: p(`SELECT digest, size, touched_at, marked_at IS NULL AND NOT EXISTS (SELECT 1 FROM manifest_references r WHERE r.digest = b.digest) AS garbage
                FROM blobs b INDEXED BY blobs_touched
                WHERE touched_at < @cutoff AND (touched_at, digest) > (@t, @d)
                ORDER BY touched_at, digest LIMIT @limit`),
    referenced: p('SELECT 1 FROM manifest_references WHERE digest = ? LIMIT 1').pluck(),
    unlinkAll: p('DELETE FROM repository_blobs WHERE digest = ?'),
    mark: p('UPDATE blobs SET marked_at = ?, marked_by = ? WHERE digest = ?'),
    marked: p('SELECT digest, size, touched_at, marked_at, marked_by FROM blobs WHERE marked_at IS NOT NULL ORDER BY marked_at, digest LIMIT ?'),
    forget: p('DELETE FROM blobs WHERE digest = ? AND marked_at IS NOT NULL'),
  };

  return {
    linkBlob(repo, digest, size, at) {
      return db.transaction(() => {
        const id = s.repoId.get(repo);
        if (id === undefined) return false;
        const b = s.blob.get(digest) as Row | undefined;
        if (b?.marked_at != null) return false;
        if (b) s.touch.run(at.getTime(), digest);
        else s.insert.run(digest, size, at.getTime(), at.getTime(), newGeneration());
        s.link.run(id, digest, at.getTime());
        return true;
      }).immediate();
    },

    reserveBlob(digest, size, at) {
      // A reservation only fences collection off while the bytes are installed; the link that
      // follows is what must survive a power loss, and its synchronous commit makes this one's WAL
      // frames durable too. So this commit skips its own fsync (durable.ts).
      return withoutSync(db, () => db.transaction((): BlobReservation | 'marked' => {
        const b = s.blob.get(digest) as Row | undefined;
        if (b?.marked_at != null) return 'marked';
        if (b) {
          s.touch.run(at.getTime(), digest);
          return { digest, generation: b.generation };
        }
        const generation = newGeneration();
        s.insert.run(digest, size, at.getTime(), at.getTime(), generation);
        return { digest, generation };
      }).immediate());
    },

    linkReservedBlob(repo, r, size, at) {
      return db.transaction((): 'linked' | 'collected' | 'no-repository' => {
        const id = s.repoId.get(repo);
        if (id === undefined) return 'no-repository';
        const b = s.blob.get(r.digest) as Row | undefined;
        if (!b || b.marked_at != null || b.generation !== r.generation) return 'collected';
        s.sizeAndTouch.run(size, at.getTime(), r.digest);
        s.link.run(id, r.digest, at.getTime());
        return 'linked';
      }).immediate();
    },

    mountBlob(repo, from, digest, at) {
      return db.transaction((): { digest: string; size: number } | 'no-repository' | undefined => {
        const id = s.repoId.get(repo);
        if (id === undefined) return 'no-repository';
        const fromId = s.repoId.get(from);
        // A linked blob is never marked: marking removes every link in the same transaction.
        const size = fromId === undefined ? undefined : (s.linkedSize.get(fromId, digest) as number | undefined);
        if (size === undefined) return undefined;
        s.touch.run(at.getTime(), digest);
        s.link.run(id, digest, at.getTime());
        return { digest, size };
      }).immediate();
    },

    listUnreferencedBlobs(cutoff, after, limit) {
      const rows = s.examine.all({ cutoff: cutoff.getTime(), t: after ? after.touchedAt.getTime() : -1, d: after?.digest ?? '', limit }) as Row[];
      const last = rows.at(-1);
      const blobs = rows.filter((r) => r.garbage === 1).map(toBlobRow);
      return rows.length < limit || !last ? { blobs } : { blobs, next: { touchedAt: new Date(last.touched_at), digest: last.digest } };
    },

    markBlobsForDeletion(digests, cutoff, at, owner) {
      return db.transaction(() => {
        const out: BlobRow[] = [];
        for (const d of digests) {
          const b = s.blob.get(d) as Row | undefined;
          if (!b || b.marked_at != null || b.touched_at >= cutoff.getTime() || s.referenced.get(d)) continue;
          s.unlinkAll.run(d);
          s.mark.run(at.getTime(), owner, d);
          out.push(toBlobRow(b));
        }
        return out;
      }).immediate();
    },

    listMarkedBlobs(limit) {
      return (s.marked.all(limit) as Row[]).map((r) => ({ ...toBlobRow(r), markedAt: new Date(r.marked_at), markedBy: r.marked_by }));
    },

    forgetMarkedBlobs(digests) {
      return db.transaction(() => digests.reduce((n, d) => n + s.forget.run(d).changes, 0)).immediate();
    },
  };
}
