// Image use cases behind the ECR image API (DescribeImages, ListImages, BatchGetImage,
// BatchDeleteImage, PutImage, ListImageReferrers): the same images, tags and manifests /v2/ serves.
import { tryParseDigest } from '../domain/digest.ts';
import { errors } from '../domain/errors.ts';
import { digestOf, mediaTypeOfBlob } from '../domain/manifest.ts';
import { MANIFEST_TYPES, MT } from '../domain/media-types.ts';
import type { ImageExpectation, ImageIdRow, ImageRecord, ImageStatus, ImageStatusFilter, ManifestRecord, Referrer, TagDecision, TagStatus } from '../ports/metadata-store.ts';
import type { ServiceDeps } from './context.ts';
import type { ManifestService } from './manifests.ts';
import type { RepositoryService } from './repositories.ts';

/** ECR's ImageIdentifier: a digest, a tag, or both (then the tag must point at the digest). */
export interface ImageId {
  readonly imageDigest?: string;
  readonly imageTag?: string;
}

export type FailureCode = 'InvalidImageDigest' | 'ImageTagDoesNotMatchDigest' | 'ImageNotFound' | 'MissingDigestAndTag' | 'ImageReferencedByManifestList';

/** One failed identifier of a batch call, as ECR reports it. */
export interface ImageFailure {
  readonly imageId: ImageId;
  readonly failureCode: FailureCode;
  readonly failureReason: string;
}

/** ECR's failure reasons, word for word where ECR's are known. */
export const FAILURE_REASONS: Record<FailureCode, string> = {
  InvalidImageDigest: "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
  ImageTagDoesNotMatchDigest: 'Invalid request parameters: given tag does not map to the given digest',
  ImageNotFound: 'Requested image not found',
  MissingDigestAndTag: 'Invalid request parameters: both tag and digest cannot be null',
  ImageReferencedByManifestList: 'Requested image is referenced by a manifest list',
};

/** The digest grammar ECR checks image ids against (its `[a-zA-Z0-9-_+.]` with the dash moved last). */
const ECR_DIGEST = /^[a-zA-Z0-9_+.-]+:[a-fA-F0-9]+$/;

type Resolved = { ok: true; digest: string } | { ok: false; code: FailureCode };

function failure(imageId: ImageId, code: FailureCode): ImageFailure {
  return { imageId, failureCode: code, failureReason: FAILURE_REASONS[code] };
}

/** A page of results and the cursor of its last row when more follow. */
export interface Page<T, C> {
  readonly items: T[];
  readonly next?: C;
}

/** A manifest BatchGetImage returns, with the identifier it answers. */
export interface GotImage {
  readonly imageId: ImageId;
  readonly manifest: ManifestRecord;
}

export interface PutImageInput {
  readonly manifest: string;
  readonly mediaType?: string;
  readonly tag?: string;
  readonly digest?: string;
}

export interface ReferrerFilter {
  readonly artifactTypes?: readonly string[];
  /** Default ACTIVE, as ECR: archived referrers only when asked for. */
  readonly artifactStatus?: ImageStatusFilter;
}

/** A referrer with its storage state (ListImageReferrers' artifactStatus). */
export interface ReferrerWithStatus extends Referrer {
  readonly status: ImageStatus;
}

export class ImageService {
  constructor(private readonly d: ServiceDeps, private readonly repos: RepositoryService, private readonly manifests: ManifestService) {}

  /** Resolves one identifier to a digest, or the failure ECR reports for it. */
  private async resolve(repo: string, id: ImageId): Promise<Resolved> {
    if (id.imageDigest === undefined && id.imageTag === undefined) return { ok: false, code: 'MissingDigestAndTag' };
    if (id.imageDigest !== undefined && !ECR_DIGEST.test(id.imageDigest)) return { ok: false, code: 'InvalidImageDigest' };
    if (id.imageTag !== undefined) {
      const digest = await this.d.meta.resolveTag(repo, id.imageTag);
      if (digest === undefined) return { ok: false, code: 'ImageNotFound' };
      if (id.imageDigest !== undefined && id.imageDigest !== digest) return { ok: false, code: 'ImageTagDoesNotMatchDigest' };
      return { ok: true, digest };
    }
    const [img] = await this.d.meta.getImages(repo, [id.imageDigest!]);
    return img ? { ok: true, digest: img.digest } : { ok: false, code: 'ImageNotFound' };
  }

  /**
   * The digest of the image `id` names, whatever its status (the repository must exist): ImageNotFoundException
   * when none, InvalidParameterException for a malformed identifier or a tag that points elsewhere.
   */
  async requireImage(repo: string, id: ImageId): Promise<string> {
    const r = await this.resolve(repo, id);
    if (r.ok) return r.digest;
    if (r.code === 'ImageNotFound') throw errors.imageNotFound({ repo, registryId: this.d.registryId, imageDigest: id.imageDigest, imageTag: id.imageTag });
    throw errors.invalidParameterMessage({ message: FAILURE_REASONS[r.code] });
  }

  /**
   * DescribeImages with imageIds: every id must name an image, else the whole call fails
   * (ImageNotFoundException; malformed ids: InvalidParameterException). Each image once, in request order.
   * Images named this way are described whatever their status (archived ones show imageStatus ARCHIVED).
   */
  async describe(repo: string, ids: readonly ImageId[]): Promise<ImageRecord[]> {
    await this.repos.require(repo);
    const digests: string[] = [];
    for (const id of ids) {
      const digest = await this.requireImage(repo, id);
      if (!digests.includes(digest)) digests.push(digest);
    }
    return this.d.meta.getImages(repo, digests);
  }

  /**
   * BatchCheckLayerAvailability's mediaType of a layer linked to `repo`: the media type the most
   * recently pushed manifest naming the blob gives it (layer or config descriptor). Undefined while
   * no manifest in the repository names the blob (a layer uploaded but not yet used).
   */
  async layerMediaType(repo: string, digest: string): Promise<string | undefined> {
    const m = await this.d.meta.latestManifestUsingBlob(repo, digest);
    return m ? mediaTypeOfBlob(m.bytes, digest) : undefined;
  }

  /** DescribeImages without imageIds: images in digest order after `after`; only ACTIVE ones unless `imageStatus` says otherwise. */
  async describePage(repo: string, after: string | undefined, limit: number, tagStatus: TagStatus = 'ANY', imageStatus: ImageStatusFilter = 'ACTIVE'): Promise<Page<ImageRecord, string>> {
    await this.repos.require(repo);
    const rows = await this.d.meta.listImages(repo, after, limit + 1, tagStatus, imageStatus);
    const items = rows.slice(0, limit);
    return { items, next: rows.length > limit ? items[items.length - 1].digest : undefined };
  }

  /** ListImages: one row per (digest, tag), untagged images as a digest alone; only ACTIVE images unless `imageStatus` says otherwise. */
  async listIds(repo: string, after: ImageIdRow | undefined, limit: number, tagStatus: TagStatus = 'ANY', imageStatus: ImageStatusFilter = 'ACTIVE'): Promise<Page<ImageIdRow, ImageIdRow>> {
    await this.repos.require(repo);
    const rows = await this.d.meta.listImageIds(repo, after, limit + 1, tagStatus, imageStatus);
    const items = rows.slice(0, limit);
    return { items, next: rows.length > limit ? items[items.length - 1] : undefined };
  }

  /**
   * BatchGetImage: the stored manifest of each identifier. With `accepted`, an image whose media type is
   * not listed fails as ImageNotFound (Wharf never converts manifests), and so does an archived image
   * (it cannot be pulled). Every image returned counts as a pull by `principalArn` (lastRecordedPullTime),
   * as a /v2/ manifest GET does.
   */
  async batchGet(repo: string, ids: readonly ImageId[], accepted?: readonly string[], principalArn?: string): Promise<{ images: GotImage[]; failures: ImageFailure[] }> {
    await this.repos.require(repo);
    const images: GotImage[] = [];
    const failures: ImageFailure[] = [];
    const seen = new Set<string>();
    for (const id of ids) {
      const r = await this.resolve(repo, id);
      const m = r.ok ? await this.d.meta.getManifest(repo, r.digest) : undefined;
      if (!r.ok || !m || m.imageStatus) {
        failures.push(failure(id, r.ok ? 'ImageNotFound' : r.code));
        continue;
      }
      if (accepted && !accepted.some((a) => a === m.mediaType || a === '*/*')) {
        failures.push(failure(id, 'ImageNotFound'));
        continue;
      }
      const key = `${m.digest} ${id.imageTag ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      images.push({ imageId: { imageDigest: m.digest, ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}) }, manifest: m });
    }
    for (const digest of new Set(images.map((i) => i.manifest.digest))) await this.manifests.recordPull(repo, digest, principalArn);
    return { images, failures };
  }

  /**
   * Deletes an image and all its tags by digest (BatchDeleteImage's rule: not while an index in the
   * repository references it). With `expect` (lifecycle runs), only while the image still matches it.
   */
  async deleteByDigest(repo: string, digest: string, expect?: ImageExpectation): Promise<{ tags: string[] } | 'referenced' | 'changed' | undefined> {
    return this.d.meta.deleteImage(repo, digest, expect);
  }

  /**
   * BatchDeleteImage, each identifier in request order. By tag: removes that tag, and the image with
   * it when it was the last one. By digest: removes the image and all its tags (one imageId per tag
   * removed, or the digest alone for an untagged image). An image that an index in the repository
   * references fails with ImageReferencedByManifestList.
   */
  async batchDelete(repo: string, ids: readonly ImageId[]): Promise<{ imageIds: ImageId[]; failures: ImageFailure[] }> {
    await this.repos.require(repo);
    const imageIds: ImageId[] = [];
    const failures: ImageFailure[] = [];
    for (const id of ids) {
      if (id.imageDigest === undefined && id.imageTag === undefined) { failures.push(failure(id, 'MissingDigestAndTag')); continue; }
      if (id.imageDigest !== undefined && !ECR_DIGEST.test(id.imageDigest)) { failures.push(failure(id, 'InvalidImageDigest')); continue; }
      if (id.imageTag !== undefined) {
        const r = await this.d.meta.untagImage(repo, id.imageTag, id.imageDigest);
        if (r === 'mismatch') failures.push(failure(id, 'ImageTagDoesNotMatchDigest'));
        else if (r === undefined) failures.push(failure(id, 'ImageNotFound'));
        else imageIds.push({ imageDigest: r.digest, imageTag: id.imageTag });
        continue;
      }
      const r = await this.deleteByDigest(repo, id.imageDigest!);
      if (r === 'referenced') failures.push(failure(id, 'ImageReferencedByManifestList'));
      else if (r === undefined || r === 'changed') failures.push(failure(id, 'ImageNotFound')); // ('changed' needs an expectation; none given)
      else if (r.tags.length === 0) imageIds.push({ imageDigest: id.imageDigest });
      else for (const t of r.tags) imageIds.push({ imageDigest: id.imageDigest, imageTag: t });
    }
    return { imageIds, failures };
  }

  /**
   * PutImage: stores the manifest through the same push path as /v2/ PUT (validation, references,
   * tag mutability in one transaction), with the API's own errors: pushing a manifest to a tag that
   * already points at it is ImageAlreadyExistsException (a /v2/ re-push is idempotent instead).
   */
  async put(repo: string, input: PutImageInput): Promise<{ digest: string; mediaType: string }> {
    await this.repos.require(repo);
    let doc: unknown;
    try {
      doc = JSON.parse(input.manifest);
    } catch {
      throw errors.invalidParameter({ field: 'ImageManifest', reason: 'Invalid JSON syntax' });
    }
    const inManifest = doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as { mediaType?: unknown }).mediaType : undefined;
    const mediaType = typeof inManifest === 'string' && inManifest ? inManifest : input.mediaType;
    if (input.mediaType !== undefined && mediaType !== input.mediaType) {
      throw errors.manifestInvalid({ reason: `mediaType '${mediaType}' does not match imageManifestMediaType '${input.mediaType}'` });
    }
    if (!mediaType) throw errors.invalidParameterMessage({ message: 'image manifest mediatype not provided in manifest or parameter' });
    if (!MANIFEST_TYPES.includes(mediaType) && mediaType !== MT.dockerSchema1 && mediaType !== MT.dockerSchema1Signed) {
      throw errors.manifestInvalid({ reason: `unsupported manifest media type '${mediaType}'` });
    }
    const bytes = Buffer.from(input.manifest, 'utf8');
    if (input.digest !== undefined) {
      const given = tryParseDigest(input.digest);
      if (!given) throw errors.invalidParameter({ field: 'imageDigest', reason: `must satisfy regular expression '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'` });
      const computed = digestOf(bytes, given.algorithm);
      if (computed !== input.digest) throw errors.imageDigestDoesNotMatch({ given: input.digest, computed });
    }
    const registryId = this.d.registryId;
    const alreadyTagged: TagDecision = (_r, tag, current, next) => {
      if (current === next) throw errors.imageAlreadyExists({ repo, registryId, digest: next, tag });
    };
    // A given imageDigest (sha256 or sha512) is the digest the image is stored and reported under.
    const pushed = await this.manifests.put(repo, input.tag ?? input.digest ?? digestOf(bytes, 'sha256'), bytes, mediaType, {
      digest: input.tag !== undefined ? input.digest : undefined,
      decideTag: alreadyTagged,
      missing: (digest, kind) => kind === 'manifest'
        ? errors.referencedImagesNotFound({ repo, registryId, digests: [digest] })
        : errors.layersNotFound({ repo, registryId, digests: [digest] }),
    });
    return { digest: pushed.digest, mediaType };
  }

  /**
   * ListImageReferrers: manifests whose subject is `subject`, in digest order after `after`, each with
   * its status; only ACTIVE ones unless `filter.artifactStatus` asks for another status or ANY.
   */
  async referrers(repo: string, subject: string, filter: ReferrerFilter, after: string | undefined, limit: number): Promise<Page<ReferrerWithStatus, string>> {
    if (!tryParseDigest(subject)) throw errors.invalidParameter({ field: 'subjectId.imageDigest', reason: 'Invalid digest' });
    await this.repos.require(repo);
    const wanted = filter.artifactStatus ?? 'ACTIVE';
    const statuses: ImageStatus[] = wanted === 'ANY' ? ['ACTIVE', 'ARCHIVED', 'ACTIVATING'] : [wanted];
    const found: ReferrerWithStatus[] = [];
    for (const status of statuses) {
      for (const r of await this.d.meta.listReferrers(repo, subject, undefined, status)) found.push({ ...r, status });
    }
    found.sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
    const types = filter.artifactTypes?.length ? new Set(filter.artifactTypes) : undefined;
    const all = found
      .filter((r) => !types || (r.artifactType !== undefined && types.has(r.artifactType)))
      .filter((r) => after === undefined || r.digest > after);
    const items = all.slice(0, limit);
    return { items, next: all.length > limit ? items[items.length - 1].digest : undefined };
  }
}
