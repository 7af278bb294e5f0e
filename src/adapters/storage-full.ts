// Recognises "out of space" in driver errors (node:fs errno codes, SQLite result codes) and turns it
// into the one registered StorageFull error. Only adapters know these codes; they translate here.
import { errors } from '../domain/errors.ts';
import type { StorageHealth } from '../ports/storage-health.ts';

/** errno codes of a full device or an exhausted disk quota. */
const ERRNO_NO_SPACE = new Set(['ENOSPC', 'EDQUOT']);

/**
 * SQLite's codes for a write that did not reach the disk: SQLITE_FULL (the unix VFS reports ENOSPC
 * so) and the write-side I/O errors it reports without saying why (EDQUOT arrives as
 * SQLITE_IOERR_WRITE; a shared-memory file that cannot grow as SQLITE_IOERR_SHMSIZE).
 */
const SQLITE_NO_SPACE = new Set(['SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_IOERR_WRITE', 'SQLITE_IOERR_FSYNC',
  'SQLITE_IOERR_DIR_FSYNC', 'SQLITE_IOERR_TRUNCATE', 'SQLITE_IOERR_SHMSIZE']);

/** The driver's code when `e` says the disk (or quota) is full, else undefined. */
export function noSpaceCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  return ERRNO_NO_SPACE.has(code) || SQLITE_NO_SPACE.has(code) ? code : undefined;
}

/**
 * `e` itself, or, when it says the disk is full, StorageFull naming `store` (the driver error kept
 * as `cause`, never shown to clients) after telling `health`.
 */
export function translateNoSpace(e: unknown, store: string, health: StorageHealth): unknown {
  const code = noSpaceCode(e);
  if (code === undefined) return e;
  health.full(store, code);
  const err = errors.storageFull({ store });
  (err as { cause?: unknown }).cause = e;
  return err;
}
