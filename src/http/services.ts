// The services the HTTP layer calls, bundled once by the composition root.
import type { BlobService } from '../services/blobs.ts';
import type { ManifestService } from '../services/manifests.ts';
import type { RepositoryService } from '../services/repositories.ts';
import type { AuthenticationService } from '../services/authentication.ts';
import type { AuthorizationService } from '../services/authorization.ts';
import type { IdentityService } from '../services/identity.ts';

export interface Services {
  readonly identity: IdentityService;
  readonly authn: AuthenticationService;
  readonly authz: AuthorizationService;
  readonly repositories: RepositoryService;
  readonly blobs: BlobService;
  readonly manifests: ManifestService;
}
