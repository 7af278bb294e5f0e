// The services the HTTP layer calls, bundled once by the composition root.
import type { BlobService } from '../services/blobs.ts';
import type { DownloadUrlService } from '../services/download-urls.ts';
import type { ImageService } from '../services/images.ts';
import type { ManifestService } from '../services/manifests.ts';
import type { RepositoryService } from '../services/repositories.ts';
import type { AuthenticationService } from '../services/authentication.ts';
import type { AuthorizationService } from '../services/authorization.ts';
import type { IdentityService } from '../services/identity.ts';
import type { IamService } from '../services/iam.ts';
import type { StsService } from '../services/sts.ts';
import type { PolicySimulator } from '../services/iam/simulate.ts';
import type { PolicyService } from '../services/policies.ts';
import type { GarbageCollector } from '../services/gc.ts';
import type { LifecycleService } from '../services/lifecycle.ts';
import type { ArchiveService } from '../services/archive.ts';
import type { PullExclusionService } from '../services/pull-exclusions.ts';

export interface Services {
  readonly identity: IdentityService;
  /** IAM's users, keys, roles, policies and OIDC providers (the IAM Query API, STS and the authorizer). */
  readonly iam: IamService;
  /** IAM's policy simulator (SimulatePrincipalPolicy, SimulateCustomPolicy, GetContextKeysFor*Policy). */
  readonly simulator: PolicySimulator;
  /** STS: AssumeRole and AssumeRoleWithWebIdentity (role sessions). */
  readonly sts: StsService;
  readonly authn: AuthenticationService;
  readonly authz: AuthorizationService;
  readonly repositories: RepositoryService;
  readonly blobs: BlobService;
  readonly manifests: ManifestService;
  /** The ECR image API (DescribeImages, PutImage, BatchDeleteImage ...). */
  readonly images: ImageService;
  /** Signed blob URLs (GetDownloadUrlForLayer), accepted on /v2/ blob GET without credentials. */
  readonly downloadUrls: DownloadUrlService;
  /** Repository and registry policies, account settings. */
  readonly policies: PolicyService;
  /** Garbage collection of unreferenced blobs and abandoned uploads (`wharf gc`, the gc job). */
  readonly gc: GarbageCollector;
  /** Lifecycle policies, their previews and runs. */
  readonly lifecycle: LifecycleService;
  /** The archive storage class (UpdateImageStorageClass). */
  readonly archive: ArchiveService;
  /** Principals whose pulls do not update lastRecordedPullTime. */
  readonly pullExclusions: PullExclusionService;
  /**
   * The services of one account's registry: the members above that hold repositories, images,
   * blobs, policies and registry settings see only that registry (made once per account and kept).
   * The object buildServices returns sees the whole store instead (background jobs, admin commands).
   */
  forRegistry(account: string): Services;
}
