// ImageExpectation checks, run inside the transaction that deletes or archives the image, so a
// lifecycle action never lands on an image that changed after the policy was evaluated.
import type Database from 'better-sqlite3';
import type { ImageExpectation } from '../../ports/metadata-store.ts';

export type ImageMatcher = (repositoryId: number, digest: string, expect: ImageExpectation) => boolean;

export function imageMatcher(db: Database.Database): ImageMatcher {
  const tags = db.prepare('SELECT name FROM tags WHERE repository_id = ? AND digest = ? ORDER BY name').pluck();
  const pulled = db.prepare('SELECT last_pulled_at FROM manifests WHERE repository_id = ? AND digest = ?').pluck();
  return (repositoryId, digest, expect) => {
    const now = tags.all(repositoryId, digest) as string[];
    const want = [...expect.tags].sort();
    if (now.length !== want.length || now.some((t, i) => t !== want[i])) return false;
    if (expect.notPulledSince !== undefined) {
      const at = pulled.get(repositoryId, digest) as number | null | undefined;
      if (at != null && at >= expect.notPulledSince.getTime()) return false;
    }
    return true;
  };
}
