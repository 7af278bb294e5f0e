// Wraps the SQLite stores so that a full disk (SQLITE_FULL, a write-side SQLITE_IOERR, or ENOSPC from
// the WAL fsync) surfaces as StorageFull from every method, and StorageHealth hears when writes succeed again.
import type Database from 'better-sqlite3';
import type { StorageHealth } from '../../ports/storage-health.ts';
import { translateNoSpace } from '../storage-full.ts';

/** How StorageHealth and StorageFull name this store. */
const STORE = 'metadata store';

/** Tracks one database's "full" state: set by a failure, cleared by the first later write that changed rows. */
export interface NoSpaceGuard {
  /** `target` with every method translating a full disk into StorageFull (methods bound to `target`). */
  wrap<T extends object>(target: T): T;
}

/**
 * A guard for `db`. A failed transaction rolls back (better-sqlite3 does so whenever SQLite left it
 * open), so nothing of it is visible. Whether a later call wrote is told by SQLite's
 * total_changes(), which is only read while the store is marked full.
 */
export function noSpaceGuard(db: Database.Database, health: StorageHealth): NoSpaceGuard {
  const changes = db.prepare('SELECT total_changes()').pluck();
  let changesAtFailure: number | undefined;
  const failed = (e: unknown): unknown => {
    const out = translateNoSpace(e, STORE, health);
    if (out !== e && db.open) changesAtFailure = changes.get() as number;
    return out;
  };
  const succeeded = () => {
    if (changesAtFailure === undefined || !db.open) return;
    if ((changes.get() as number) === changesAtFailure) return; // a read, or a write that changed nothing
    changesAtFailure = undefined;
    health.writable(STORE);
  };
  const guard = (fn: (...args: unknown[]) => unknown) => (...args: unknown[]): unknown => {
    let r: unknown;
    try {
      r = fn(...args);
    } catch (e) {
      throw failed(e);
    }
    if (r instanceof Promise) {
      return r.then((v: unknown) => { succeeded(); return v; }, (e: unknown) => { throw failed(e); });
    }
    succeeded();
    return r;
  };
  return {
    wrap<T extends object>(target: T): T {
      // Wrappers are kept per function, not per name, so a method replaced on the target (tests
      // instrument the store that way) is wrapped anew instead of answering with the old one.
      const made = new WeakMap<object, unknown>();
      return new Proxy(target, {
        get(t, key) {
          const v = Reflect.get(t, key, t);
          if (typeof v !== 'function') return v;
          let w = made.get(v);
          if (!w) made.set(v, (w = guard((v as (...a: unknown[]) => unknown).bind(t))));
          return w;
        },
      });
    },
  };
}
