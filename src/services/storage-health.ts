// Says once that a store ran out of space, and once that it writes again: the StorageHealth the
// server gives its storage adapters. Requests failing meanwhile get StorageFull without a log line each.
import type { StorageHealth } from '../ports/storage-health.ts';

/** The few logger methods used (pino's signature: fields first, then the message). */
export interface HealthLog {
  error(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  debug(fields: object, msg: string): void;
}

/**
 * A StorageHealth that logs: the first failure of a store at error level (no stack: the cause is
 * known), further ones at debug while the store stays full, and an info line at the first write
 * that succeeds after. Each store (blob store, metadata store) has its own state.
 */
export function loggingStorageHealth(log: HealthLog): StorageHealth & { isFull(store: string): boolean } {
  const full = new Set<string>();
  return {
    full(store, reason) {
      if (full.has(store)) {
        log.debug({ store, reason }, 'storage still full');
        return;
      }
      full.add(store);
      log.error({ store, reason }, `storage full: the ${store} cannot write (${reason}); writes fail with StorageFull (HTTP 507) until space is freed`);
    },
    writable(store) {
      if (full.size === 0 || !full.delete(store)) return;
      log.info({ store }, `storage space is back: the ${store} writes again`);
    },
    isFull: (store) => full.has(store),
  };
}
