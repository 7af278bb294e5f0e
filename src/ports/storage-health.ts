// StorageHealth: where the storage adapters report that a write failed for lack of space, and that
// writes succeed again, so the process can say so once instead of once per failing request.

/**
 * Contract: adapters call `full` each time a write fails because the device (or the user's quota)
 * is out of space, before throwing StorageFull; and `writable` after a write that stored at least one
 * byte. `writable` runs on hot paths: an implementation must make it cheap when nothing changed.
 * Neither may throw. `store` names the store in words ("blob store", "metadata store").
 */
export interface StorageHealth {
  /** A write to `store` failed for lack of space; `reason` is the driver's code (ENOSPC, SQLITE_FULL ...). */
  full(store: string, reason: string): void;
  /** A write to `store` stored bytes. */
  writable(store: string): void;
}

/** For stores opened without anyone to tell (admin commands, tests). */
export const silentStorageHealth: StorageHealth = { full() {}, writable() {} };
