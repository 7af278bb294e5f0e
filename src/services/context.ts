// What every service needs: the ports and the installation's identity. Built once in app.ts.
import type { BlobStore } from '../ports/blob-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { MetadataStore } from '../ports/metadata-store.ts';

export interface ServiceDeps {
  readonly meta: MetadataStore;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  /** The account id that names this registry in messages and ARNs. */
  readonly registryId: string;
  /** New opaque ids (upload sessions). */
  readonly newId: () => string;
}
