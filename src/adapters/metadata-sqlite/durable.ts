// Durable commits without blocking the event loop. better-sqlite3 runs on the main thread, so a
// commit with PRAGMA synchronous = FULL stops every request for the WAL's fsync (0.15-0.3 ms here,
// several per push). Instead, a hot-path transaction commits with synchronous = NORMAL (the frames
// are written to the WAL, not fsynced) and the caller then awaits an fsync of the WAL file on the
// thread pool, shared by every commit that asked while the previous one ran (group commit). The
// caller's promise resolves only after its frames are on disk, as with FULL. What differs: another
// request may read the row before it is durable; a power loss in that instant drops it together
// with everything after it, never a part of it (WAL frames are replayed in order).
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import type Database from 'better-sqlite3';

/** The connection's PRAGMA synchronous level (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA). */
function syncLevel(db: Database.Database): number {
  return db.pragma('synchronous', { simple: true }) as number;
}

/**
 * Runs `fn` (one whole transaction) with synchronous = NORMAL, then restores the connection's level
 * (`level`, when the caller has just read it).
 */
export function withoutSync<T>(db: Database.Database, fn: () => T, level = syncLevel(db)): T {
  if (level <= 1) return fn();
  db.pragma('synchronous = NORMAL');
  try {
    return fn();
  } finally {
    db.pragma(`synchronous = ${level}`);
  }
}

export class GroupCommit {
  private readonly walPath: string | undefined;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  /** @param fsyncFile makes a file's data durable (replaceable in tests, to count and pace the calls) */
  constructor(private readonly db: Database.Database, private readonly fsyncFile: (path: string) => Promise<void> = datasyncIfPresent) {
    this.walPath = db.memory ? undefined : `${resolve(db.name)}-wal`;
  }

  /**
   * Runs `fn` (one whole transaction) and resolves with its result once the commit is durable to the
   * degree the connection's synchronous level promises (FULL or EXTRA: on disk; NORMAL: as is).
   */
  async commit<T>(fn: () => T): Promise<T> {
    const level = syncLevel(this.db);
    if (!this.walPath || level < 2) return fn();
    const result = withoutSync(this.db, fn, level);
    await this.sync();
    return result;
  }

  /** Resolves after an fsync of the WAL that started after this call. */
  sync(): Promise<void> {
    if (!this.running) {
      this.running = (this.walPath ? this.fsyncFile(this.walPath) : Promise.resolve()).finally(() => { this.running = undefined; });
      return this.running;
    }
    // One is running, maybe from before our frames were written: share the next one.
    this.queued ??= this.running.catch(() => {}).then(() => {
      this.queued = undefined;
      return this.sync();
    });
    return this.queued;
  }
}

/** fdatasync of `path`; nothing when it does not exist (a WAL checkpointed away: SQLite synced the database file). */
async function datasyncIfPresent(path: string): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  try {
    await fh.datasync();
  } finally {
    await fh.close();
  }
}
