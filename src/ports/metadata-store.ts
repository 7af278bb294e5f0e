// MetadataStore: repositories, blob links, upload sessions, manifests, tags and referrers, lifecycle,
// archive and garbage-collection records, declared as one interface per role (RepositoryRecords,
// BlobLinks, UploadSessions, ImageCatalog, LifecycleRecords, ArchiveRecords, BlobCollection) that
// MetadataStore joins. Every method is one atomic decision (one database transaction); services
// never hold a transaction open across I/O, so the same port fits SQLite (embedded) and PostgreSQL
// (scale-out).

import type { LifecycleAction, LifecycleImage } from '../domain/lifecycle/types.ts';
import type { RepositorySettings } from '../domain/repository.ts';

export interface Repository extends RepositorySettings {
  readonly name: string;
  readonly createdAt: Date;
}

/** An image: a manifest in a repository with its tags and the facts DescribeImages reports. */
export interface ImageRecord {
  readonly digest: string;
  readonly mediaType: string;
  /** Compressed size: sum of layer sizes, or for an index the largest child's. */
  readonly size: number;
  readonly pushedAt: Date;
  readonly lastPulledAt?: Date;
  readonly artifactType?: string;
  readonly configMediaType?: string;
  readonly subject?: string;
  /** Sorted tag names. */
  readonly tags: readonly string[];
  /** ECR storage state: only ACTIVE images can be pulled. */
  readonly imageStatus: ImageStatus;
  /** When the image last moved to the archive, and when it last came back (UpdateImageStorageClass, re-push). */
  readonly lastArchivedAt?: Date;
  readonly lastActivatedAt?: Date;
}

export type TagStatus = 'TAGGED' | 'UNTAGGED' | 'ANY';

/** An image's storage state (ECR ImageStatus): ACTIVE (standard, pullable), ARCHIVED, or ACTIVATING (being restored). */
export type ImageStatus = 'ACTIVE' | 'ARCHIVED' | 'ACTIVATING';
/** A status filter of the ECR list operations. */
export type ImageStatusFilter = ImageStatus | 'ANY';

/** One ListImages row: an image digest with one of its tags (or none). */
export interface ImageIdRow {
  readonly digest: string;
  readonly tag?: string;
}

export interface UploadSession {
  readonly id: string;
  readonly repo: string;
  readonly startedAt: Date;
}

export interface TagPageJson {
  readonly json: string;
  readonly last?: string;
  readonly more: boolean;
}

export interface ManifestRecord {
  readonly repo: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  /** The exact bytes received. */
  readonly bytes: Buffer;
  readonly artifactType?: string;
  readonly subject?: string;
  readonly pushedAt: Date;
  /** When a pull was last recorded (MetadataStore.recordPull), if ever. */
  readonly lastPulledAt?: Date;
  /** Present only when the image is not ACTIVE (archived or being restored): such a manifest must not be served. */
  readonly imageStatus?: Exclude<ImageStatus, 'ACTIVE'>;
}

export interface NewManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  readonly bytes: Buffer;
  readonly artifactType?: string;
  readonly subject?: string;
  readonly annotations?: Record<string, string>;
  readonly configMediaType?: string;
  /** Compressed image size as DescribeImages reports it (default 0). */
  readonly imageSize?: number;
  /** Blobs that must be linked to the repository (config and distributable layers). */
  readonly blobDigests: readonly string[];
  /** Manifests (index children) that must already exist in the repository. */
  readonly childDigests: readonly string[];
}

export type PutManifestResult =
  | { readonly ok: true; readonly created: boolean }
  | { readonly ok: false; readonly reason: 'repository' }
  | { readonly ok: false; readonly reason: 'missing'; readonly digest: string };

/**
 * Called inside the putManifest transaction before a tag moves: `current` is the digest the tag
 * points to now (undefined for a new tag). Throw (e.g. TAG_INVALID) to abort the whole write.
 * Must be pure and synchronous: it runs while the transaction is open.
 */
export type TagDecision = (repo: Repository, tag: string, current: string | undefined, next: string) => void;

export interface Referrer {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
}

/** Repositories: their settings, policies and resource tags; registry-wide settings. */
export interface RepositoryRecords {
  /** Creates a repository (default settings unless given); returns undefined when it exists already. */
  createRepository(name: string, at: Date, settings?: Partial<RepositorySettings>, tags?: Record<string, string>): Promise<Repository | undefined>;
  /** Changes some settings; returns the updated repository, or undefined when absent. */
  updateRepository(name: string, patch: Partial<RepositorySettings>): Promise<Repository | undefined>;
  /** Repositories (full records) after `after`, at most `limit`, in name order. */
  listRepositoryRecords(after: string | undefined, limit: number): Promise<Repository[]>;
  getRepository(name: string): Promise<Repository | undefined>;
  /** Repository names after `after` (exclusive), at most `limit`. */
  listRepositories(after: string | undefined, limit: number): Promise<string[]>;
  /**
   * Deletes a repository and everything in it; false when it did not exist. With `onlyIfEmpty`,
   * answers 'not-empty' and deletes nothing when it still holds images (decided in one transaction).
   */
  deleteRepository(name: string, opts?: { onlyIfEmpty?: boolean }): Promise<boolean | 'not-empty'>;
  /** The repository policy text (undefined inside when none), or undefined when no such repository. */
  getRepositoryPolicy(name: string): Promise<{ text: string | undefined } | undefined>;
  /** Sets (or with undefined removes) the policy; false when no such repository. */
  setRepositoryPolicy(name: string, text: string | undefined): Promise<boolean>;
  /** Resource tags of a repository, or undefined when no such repository. */
  getResourceTags(name: string): Promise<Record<string, string> | undefined>;
  /** Adds/overwrites tags then removes `remove` keys, refusing with 'too-many' past `max` tags. */
  changeResourceTags(name: string, add: Record<string, string>, remove: readonly string[], max: number): Promise<boolean | 'too-many'>;
  /** Registry-wide settings (registry policy, account settings) by name. */
  getSetting(name: string): Promise<string | undefined>;
  putSetting(name: string, value: string | undefined): Promise<void>;
  /**
   * A number that moves whenever something access decisions read changes: a repository's policy,
   * tags or existence, registry settings and policy, IAM users, roles, policies, attachments and
   * tags (not usage records such as last-used times), whoever wrote it (this process or another on
   * the same store). The authorizer caches what it derives from those records until it moves.
   */
  accessVersion(): Promise<number>;
}

/** Which repository may see which blob, and the fenced push path (reservation, then link) garbage collection relies on. */
export interface BlobLinks {
  /**
   * Records blob `digest` (size `size`) and links it to `repo`, raising the blob's touched time to `at`
   * (also when the link exists already); idempotent. False if no such repo, or when garbage collection
   * has marked the blob for deletion (nothing changes then). It does not fence against a collection
   * running meanwhile: pushes use reserveBlob + linkReservedBlob, mounts mountBlob.
   */
  linkBlob(repo: string, digest: string, size: number, at: Date): Promise<boolean>;
  /** The blob's size when it is linked to `repo`, else undefined. */
  getLinkedBlob(repo: string, digest: string): Promise<{ digest: string; size: number } | undefined>;
  /**
   * Removes the link; false when there was none, 'referenced' (nothing changes) while a manifest of
   * `repo` names the blob as its config or a layer (checked in the same transaction as the delete).
   * The bytes stay until garbage collection.
   */
  unlinkBlob(repo: string, digest: string): Promise<boolean | 'referenced'>;
  // Garbage collection's side of pushes (contract: test/contracts/metadata-store-gc.contract.test.ts;
  // protocol: docs/lifecycle.md). A blob's touched time is raised when it is reserved, linked or
  // mounted, and whenever a manifest that names it is deleted (by any method, repository deletion
  // included; the adapter's clock gives the time).
  /**
   * Install step 1, before blob bytes are moved into the BlobStore: in one transaction records blob
   * `digest` when absent (size `size`, a new incarnation) and raises its touched time to `at`. Answers
   * 'marked' (nothing changes) while garbage collection is deleting the blob: wait and try again.
   */
  reserveBlob(digest: string, size: number, at: Date): Promise<BlobReservation | 'marked'>;
  /**
   * Install step 2, once the bytes are durable: in one transaction links the blob to `repo`, records
   * `size` and raises its touched time to `at`, only when the blob row is still the incarnation `r`
   * names and is not marked. 'collected' when a collection took the blob after reserveBlob (the bytes
   * just installed may be gone: the push must fail); 'no-repository' when `repo` does not exist.
   */
  linkReservedBlob(repo: string, r: BlobReservation, size: number, at: Date): Promise<'linked' | 'collected' | 'no-repository'>;
  /**
   * Cross-repository mount in one transaction: when `digest` is linked to `from`, links it to `repo`
   * too and raises its touched time to `at`. Undefined when it is not linked to `from` (or `from`
   * does not exist); 'no-repository' when `repo` does not exist.
   */
  mountBlob(repo: string, from: string, digest: string, at: Date): Promise<{ digest: string; size: number } | 'no-repository' | undefined>;
}

/** Upload sessions (their bytes are the BlobStore's). */
export interface UploadSessions {
  /** Registers an upload session; false when the repository does not exist. */
  createUpload(session: UploadSession): Promise<boolean>;
  getUpload(id: string): Promise<UploadSession | undefined>;
  deleteUpload(id: string): Promise<void>;
  /** Sessions started before `before` (abandoned-upload cleanup). */
  listUploadsStartedBefore(before: Date): Promise<UploadSession[]>;
}

/** Manifests, tags and images: pushes, pulls, listings, referrers and deletes. */
export interface ImageCatalog {
  /**
   * In one transaction: checks the repository exists, every `blobDigests` is linked to it and every
   * `childDigests` is a manifest in it; stores the manifest (idempotent by digest) with its
   * references and subject; then, for each tag given (one name or several, in order), asks `decide`
   * and points the tag at it. A `decide` that throws aborts the whole write: no tag moves and the
   * manifest is not stored.
   */
  putManifest(repo: string, m: NewManifest, tag: string | readonly string[] | undefined, at: Date, decide: TagDecision): Promise<PutManifestResult>;
  getManifest(repo: string, digest: string): Promise<ManifestRecord | undefined>;
  /** The manifest a tag points to (one lookup: this is the hot path of every pull). */
  getManifestByTag(repo: string, tag: string): Promise<ManifestRecord | undefined>;
  /** Deletes a manifest and every tag pointing to it; false when absent. */
  deleteManifest(repo: string, digest: string): Promise<boolean>;
  /** Deletes one tag (the manifest stays); false when absent. */
  deleteTag(repo: string, tag: string): Promise<boolean>;
  /**
   * Tags of `repo` after `after` (exclusive), at most `limit`, in byte order, already encoded: `json`
   * is the JSON array of the names, `last` its final name (absent when empty) and `more` whether tags
   * follow it. This is the hot path
   * of tags/list: the store builds the array text without a JS string per name. Undefined when the
   * repository does not exist.
   */
  listTagsJson(repo: string, after: string | undefined, limit: number): Promise<TagPageJson | undefined>;
  /** Images of `repo` (digest order) after digest `after`, filtered by tag status and image status (default ANY). */
  listImages(repo: string, after: string | undefined, limit: number, tagStatus?: TagStatus, imageStatus?: ImageStatusFilter): Promise<ImageRecord[]>;
  /** The images with these digests that exist in `repo`. */
  getImages(repo: string, digests: readonly string[]): Promise<ImageRecord[]>;
  /** ListImages rows ordered by (digest, tag), after the row `after`, filtered by tag status and image status (default ANY). */
  listImageIds(repo: string, after: ImageIdRow | undefined, limit: number, tagStatus?: TagStatus, imageStatus?: ImageStatusFilter): Promise<ImageIdRow[]>;
  /** Digest a tag points to, or undefined. */
  resolveTag(repo: string, tag: string): Promise<string | undefined>;
  /**
   * Records a pull of `digest` at `at` unless one was recorded less than `minIntervalMs` before, or
   * `principalArn` (the puller) is on the pull-time update exclusion list: decided in the same statement,
   * so an exclusion counts from the moment it is registered.
   */
  recordPull(repo: string, digest: string, at: Date, minIntervalMs: number, principalArn?: string): Promise<void>;
  /** Manifests in `repo` whose subject is `subject`, optionally only of one artifactType and one image status (default ANY). */
  listReferrers(repo: string, subject: string, artifactType?: string, imageStatus?: ImageStatusFilter): Promise<Referrer[]>;
  /**
   * BatchDeleteImage by digest, in one transaction: deletes the image and every tag pointing to it,
   * unless a manifest (an index) in the repository references it: then 'referenced' and nothing
   * changes. Returns the removed tags (sorted), or undefined when the image does not exist. With
   * `expect`, 'changed' (and nothing changes) when the image no longer matches it.
   */
  /**
   * True when images of `repo` reference blob `digest` and every one of them is ARCHIVED (none
   * ACTIVE or ACTIVATING): BatchCheckLayerAvailability then reports the layer ARCHIVED.
   */
  blobInArchivedImagesOnly(repo: string, digest: string): Promise<boolean>;
  /**
   * The most recently pushed manifest of `repo` (any image status) that names blob `digest` as its
   * config or a layer; undefined when none does. BatchCheckLayerAvailability reads the layer's media
   * type from it.
   */
  latestManifestUsingBlob(repo: string, digest: string): Promise<ManifestRecord | undefined>;
  deleteImage(repo: string, digest: string, expect?: ImageExpectation): Promise<{ tags: string[] } | 'referenced' | 'changed' | undefined>;
  /**
   * BatchDeleteImage by tag, in one transaction: removes `tag` (when `digest` is given, only if the tag
   * points at it, else 'mismatch'). When that was the image's last tag and no manifest in the
   * repository references the image, the image is deleted too (`imageDeleted`). Undefined when the
   * tag does not exist.
   */
  untagImage(repo: string, tag: string, digest?: string): Promise<{ digest: string; imageDeleted: boolean } | 'mismatch' | undefined>;
}

/** Lifecycle policies, their previews, and the image facts rules are evaluated on. */
export interface LifecycleRecords {
  // Contract: test/contracts/metadata-store-lifecycle.contract.test.ts.
  /** The repository's lifecycle policy record (both members absent when none), or undefined when no such repository. */
  getLifecyclePolicy(repo: string): Promise<LifecyclePolicyRecord | undefined>;
  /**
   * Sets the policy text, or with undefined removes it together with its lastEvaluatedAt, in one
   * transaction; returns the record as it was before, or undefined when no such repository.
   */
  putLifecyclePolicy(repo: string, text: string | undefined): Promise<LifecyclePolicyRecord | undefined>;
  /** Records when the policy last ran; false when no such repository. */
  setLifecycleEvaluatedAt(repo: string, at: Date): Promise<boolean>;
  /** Repositories that have a lifecycle policy, in name order after `after`, at most `limit`. */
  listLifecyclePolicies(after: string | undefined, limit: number): Promise<{ repo: string; text: string }[]>;
  /**
   * What the lifecycle evaluator needs about every image of `repo` (archived ones included), in digest
   * order after `after`, at most `limit`: tags, push/pull/archive times, status, and whether a manifest
   * (an index) in the repository references it. Empty when no such repository.
   */
  listLifecycleImages(repo: string, after: string | undefined, limit: number): Promise<LifecycleImageFacts[]>;
  /**
   * Starts a preview in one transaction: 'in-progress' (nothing changes) when the repository's last
   * preview is IN_PROGRESS and started at or after `staleBefore`; otherwise replaces it with an
   * IN_PROGRESS preview of `text` started at `at`. Undefined when no such repository.
   */
  startLifecyclePreview(repo: string, text: string, at: Date, staleBefore: Date): Promise<'started' | 'in-progress' | undefined>;
  /**
   * Completes the preview started at `startedAt` with its status and results; false (nothing changes)
   * when the repository's preview is no longer that one or no longer IN_PROGRESS.
   */
  finishLifecyclePreview(repo: string, startedAt: Date, status: 'COMPLETE' | 'FAILED', results?: readonly LifecycleAction[]): Promise<boolean>;
  /** The repository's last preview, or undefined when none (or no such repository). */
  getLifecyclePreview(repo: string): Promise<LifecyclePreviewRecord | undefined>;
}

/** The archive storage class and the pull-time update exclusion list. */
export interface ArchiveRecords {
  // Contract: test/contracts/metadata-store-archive.contract.test.ts.
  /**
   * Moves image `digest` of `repo` to status `to` in one transaction, only when its status now is one of
   * `from` (else 'from', with the status it has). Archiving is refused ('referenced') while an index in
   * the repository that is not ARCHIVED references the image. Reaching ARCHIVED sets lastArchivedAt to
   * `at`; reaching ACTIVE or ACTIVATING sets lastActivatedAt and brings along, the same way, every
   * ARCHIVED image the index references (recursively), so an index never serves archived children.
   * Undefined when the image or repository does not exist.
   */
  changeImageStatus(repo: string, digest: string, from: readonly ImageStatus[], to: ImageStatus, at: Date, expect?: ImageExpectation): Promise<ImageStatusChange | undefined>;
  /**
   * Adds a principal to the pull-time update exclusion list: its creation time, 'exists' when listed
   * already, or 'limit' when the list holds `max` principals (nothing changes then).
   */
  addPullTimeExclusion(principalArn: string, at: Date, max: number): Promise<{ createdAt: Date } | 'exists' | 'limit'>;
  /** Removes a principal from the list; false when it was not on it. */
  removePullTimeExclusion(principalArn: string): Promise<boolean>;
  /** Excluded principals in ARN order after `after` (exclusive), at most `limit`. */
  listPullTimeExclusions(after: string | undefined, limit: number): Promise<PullTimeExclusion[]>;
}

/** Garbage collection of unreferenced blobs (docs/lifecycle.md#garbage-collection). */
export interface BlobCollection {
  /**
   * One page of collection candidates: examines the next `limit` blobs touched before `cutoff`, in
   * (touchedAt, digest) order after `after` (exclusive), and returns those not marked whose digest no
   * manifest reference in any repository names, with the position of the last blob examined as `next`
   * (absent when no blob touched before `cutoff` is left). Bounded work per call, however few of the
   * examined blobs are garbage. A hint read outside any write: markBlobsForDeletion decides again.
   */
  listUnreferencedBlobs(cutoff: Date, after: BlobCursor | undefined, limit: number): Promise<{ blobs: BlobRow[]; next?: BlobCursor }>;
  /**
   * Collection step 1, in one transaction: each of `digests` that is (still) recorded, not marked,
   * touched before `cutoff` and named by no manifest reference loses every repository link and is
   * marked (at `at`, by `owner`). From then on reserveBlob answers 'marked', linkBlob and mountBlob
   * refuse it, and a manifest naming it fails as unknown. Returns the blobs marked, in `digests` order.
   */
  markBlobsForDeletion(digests: readonly string[], cutoff: Date, at: Date, owner: string): Promise<BlobRow[]>;
  /** Marked blobs, oldest mark first, at most `limit` (deletions a stopped collector left unfinished). */
  listMarkedBlobs(limit: number): Promise<MarkedBlob[]>;
  /** Collection step 3, once the bytes are deleted: removes the rows of those `digests` that are marked; returns how many. */
  forgetMarkedBlobs(digests: readonly string[]): Promise<number>;
}

/** Per-repository figures for monitoring (the /metrics gauges), read at scrape time. */
export interface RegistryStatistics {
  /**
   * For each repository after `after` (exclusive) in name order, at most `limit`: how many images
   * (manifests, the children of an index included, whatever their tags or storage class) it holds,
   * and its stored bytes: the sum of the sizes of the distinct blobs (configs and layers) those
   * manifests reference, each blob counted once per repository however many images share it. A
   * blob shared by two repositories counts in both (it is stored once); blobs only linked (pushed
   * without a manifest naming them yet) and the manifests' own bytes are not counted. A read
   * outside any write; an empty repository answers 0 and 0.
   */
  repositoryStats(after: string | undefined, limit: number): Promise<RepositoryStats[]>;
}

/** One row of repositoryStats. */
export interface RepositoryStats {
  readonly name: string;
  readonly images: number;
  readonly storedBytes: number;
}

/**
 * The whole port: every role above, as one adapter implements them over one database (the roles
 * share it: deleting a repository, for instance, touches all of them). Services may depend on the
 * roles they use. Contract (test/contracts/metadata-store*.ts runs it against every adapter, a suite
 * per role):
 * - Names are pre-validated by domain/names.ts; adapters store them verbatim.
 * - Lists are sorted by byte order of the name (the OCI spec's lexical order) and paginate with an
 *   exclusive `after` cursor and a `limit`.
 * - Deleting a repository removes its manifests, tags, blob links and upload sessions (not blob bytes).
 */
export interface MetadataStore extends RepositoryRecords, BlobLinks, UploadSessions, ImageCatalog, LifecycleRecords, ArchiveRecords, BlobCollection, RegistryStatistics {
  close(): Promise<void>;
}

/** A recorded blob as garbage collection sees it. */
export interface BlobRow {
  readonly digest: string;
  readonly size: number;
  /** Last reserved, linked or mounted, or last released by a deleted manifest: the grace period starts here. */
  readonly touchedAt: Date;
}

/** A position in listUnreferencedBlobs order. */
export interface BlobCursor {
  readonly touchedAt: Date;
  readonly digest: string;
}

/** A blob garbage collection has marked for deletion and not yet forgotten. */
export interface MarkedBlob extends BlobRow {
  readonly markedAt: Date;
  /** The `owner` that marked it. */
  readonly markedBy: string;
}

/** What reserveBlob hands the installer; linkReservedBlob checks the row is still this incarnation. */
export interface BlobReservation {
  readonly digest: string;
  /** Identifies the row's incarnation: a row created again after a collection gets a new one. */
  readonly generation: number;
}

/**
 * What a lifecycle run saw of an image when it decided to act on it. A conditional delete or status
 * change goes ahead only while the image still has exactly these tags and, with `notPulledSince`,
 * has no pull recorded at or after that instant; otherwise it reports 'changed' and does nothing.
 */
export interface ImageExpectation {
  readonly tags: readonly string[];
  readonly notPulledSince?: Date;
}

/** The outcome of changeImageStatus for an existing image. */
export type ImageStatusChange =
  | { readonly ok: true; readonly previous: ImageStatus }
  | { readonly ok: false; readonly reason: 'changed' }
  | { readonly ok: false; readonly reason: 'from'; readonly current: ImageStatus }
  | { readonly ok: false; readonly reason: 'referenced' };

/** A principal whose pulls do not update lastRecordedPullTime. */
export interface PullTimeExclusion {
  readonly principalArn: string;
  readonly createdAt: Date;
}

/** A repository's lifecycle policy text and when it last ran (each absent when unknown). */
export interface LifecyclePolicyRecord {
  readonly text?: string;
  readonly evaluatedAt?: Date;
}

/** One image as lifecycle evaluation sees it, with its ECR image status. */
export interface LifecycleImageFacts extends LifecycleImage {
  readonly imageStatus: 'ACTIVE' | 'ARCHIVED' | 'ACTIVATING';
}

/** A stored lifecycle policy preview; `results` only when COMPLETE. */
export interface LifecyclePreviewRecord {
  readonly text: string;
  readonly status: 'IN_PROGRESS' | 'COMPLETE' | 'FAILED';
  readonly startedAt: Date;
  readonly results?: readonly LifecycleAction[];
}
