// The archive storage class (ECR UpdateImageStorageClass): archived images stay described and listed on
// request but cannot be pulled; restoring makes them pullable again. What archive means for the bytes:
// docs/lifecycle.md, "Archive storage class and pull times".
import { errors } from '../domain/errors.ts';
import type { ImageExpectation, ImageStatus } from '../ports/metadata-store.ts';
import type { ServiceDeps } from './context.ts';
import type { ImageId, ImageService } from './images.ts';
import type { RepositoryService } from './repositories.ts';

/** UpdateImageStorageClass's targetStorageClass. */
export type TargetStorageClass = 'STANDARD' | 'ARCHIVE';

export interface StorageClassUpdate {
  /** The image's digest, with the tag when the request named one. */
  readonly imageId: ImageId;
  /** What the call reports: ARCHIVED, or ACTIVATING for a restore (as ECR answers). */
  readonly imageStatus: ImageStatus;
}

/** Why a lifecycle action skipped an image that moved on after the policy was evaluated. */
export const IMAGE_CHANGED = 'the image changed (its tags, or a pull) after the lifecycle policy was evaluated; the next run decides again.';

export class ArchiveService {
  constructor(private readonly d: ServiceDeps, private readonly repos: RepositoryService, private readonly images: ImageService) {}

  /**
   * UpdateImageStorageClass. ARCHIVE moves an ACTIVE image to ARCHIVED (lastArchivedAt = now). STANDARD
   * restores an ARCHIVED image: in Wharf the bytes never left, so the restore completes inside the call
   * (the image is ACTIVE, lastActivatedAt = now, on the next read) while the answer says ACTIVATING, the
   * status ECR answers a restore with. Anything else is ImageStorageClassUpdateNotSupportedException.
   */
  async updateStorageClass(repo: string, id: ImageId, target: TargetStorageClass): Promise<StorageClassUpdate> {
    await this.repos.require(repo);
    const digest = await this.images.requireImage(repo, id);
    const imageId = { imageDigest: digest, ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}) };
    if (target === 'ARCHIVE') {
      await this.archive(repo, digest, id);
      return { imageId, imageStatus: 'ARCHIVED' };
    }
    await this.restore(repo, digest, id);
    return { imageId, imageStatus: 'ACTIVATING' };
  }

  /**
   * Archives one image (also the lifecycle policy's `transition` action): refused while an index in the
   * repository that is not archived references it, since that index could no longer be pulled whole.
   */
  async archive(repo: string, digest: string, id: ImageId = { imageDigest: digest }, expect?: ImageExpectation): Promise<void> {
    const r = await this.d.meta.changeImageStatus(repo, digest, ['ACTIVE'], 'ARCHIVED', this.d.clock.now(), expect);
    if (!r) throw this.notFound(repo, id);
    if (r.ok) return;
    if (r.reason === 'changed') throw errors.imageStorageClassUpdateNotSupported({ reason: IMAGE_CHANGED });
    if (r.reason === 'referenced') throw errors.imageStorageClassUpdateNotSupported({ reason: 'the image is referenced by a manifest list that is not archived; archive the manifest list first.' });
    throw errors.imageStorageClassUpdateNotSupported({
      reason: r.current === 'ARCHIVED' ? 'the image is already archived.' : 'the image is being restored from the archive.',
    });
  }

  /** Restores one archived image, and the archived images it lists when it is an index, to ACTIVE. */
  async restore(repo: string, digest: string, id: ImageId = { imageDigest: digest }): Promise<void> {
    const r = await this.d.meta.changeImageStatus(repo, digest, ['ARCHIVED'], 'ACTIVE', this.d.clock.now());
    if (!r) throw this.notFound(repo, id);
    if (r.ok) return;
    throw errors.imageStorageClassUpdateNotSupported({
      reason: r.reason === 'from' && r.current === 'ACTIVATING' ? 'the image is already being restored from the archive.' : 'the image is not archived.',
    });
  }

  /** The image vanished between lookup and change (deleted concurrently). */
  private notFound(repo: string, id: ImageId) {
    return errors.imageNotFound({ repo, registryId: this.d.registryId, imageDigest: id.imageDigest, imageTag: id.imageTag });
  }
}
