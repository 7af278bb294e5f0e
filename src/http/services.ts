// The services the HTTP layer calls, bundled once by the composition root.
import type { BlobService } from '../services/blobs.ts';
import type { ManifestService } from '../services/manifests.ts';
import type { RepositoryService } from '../services/repositories.ts';

export interface Services {
  readonly repositories: RepositoryService;
  readonly blobs: BlobService;
  readonly manifests: ManifestService;
}
