// MetadataStore: repositories, blob links, upload sessions, manifests, tags and referrers. Every
// method is one atomic decision (one database transaction); services never hold a transaction open
// across I/O, so the same port fits SQLite (embedded) and PostgreSQL (scale-out).

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
}

export type TagStatus = 'TAGGED' | 'UNTAGGED' | 'ANY';

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

/**
 * Contract (test/contracts/metadata-store.contract.ts runs it against every adapter):
 * - Names are pre-validated by domain/names.ts; adapters store them verbatim.
 * - Lists are sorted by byte order of the name (the OCI spec's lexical order) and paginate with an
 *   exclusive `after` cursor and a `limit`.
 * - Deleting a repository removes its manifests, tags, blob links and upload sessions (not blob bytes).
 */
export interface MetadataStore {
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

  /** Records blob `digest` (size `size`) and links it to `repo`; idempotent. False if no such repo. */
  linkBlob(repo: string, digest: string, size: number, at: Date): Promise<boolean>;
  /** The blob's size when it is linked to `repo`, else undefined. */
  getLinkedBlob(repo: string, digest: string): Promise<{ digest: string; size: number } | undefined>;
  /** Removes the link; false when there was none. The bytes stay until garbage collection. */
  unlinkBlob(repo: string, digest: string): Promise<boolean>;

  /** Registers an upload session; false when the repository does not exist. */
  createUpload(session: UploadSession): Promise<boolean>;
  getUpload(id: string): Promise<UploadSession | undefined>;
  deleteUpload(id: string): Promise<void>;
  /** Sessions started before `before` (abandoned-upload cleanup). */
  listUploadsStartedBefore(before: Date): Promise<UploadSession[]>;

  /**
   * In one transaction: checks the repository exists, every `blobDigests` is linked to it and every
   * `childDigests` is a manifest in it; stores the manifest (idempotent by digest) with its
   * references and subject; then, when `tag` is given, asks `decide` and points the tag at it.
   */
  putManifest(repo: string, m: NewManifest, tag: string | undefined, at: Date, decide: TagDecision): Promise<PutManifestResult>;
  getManifest(repo: string, digest: string): Promise<ManifestRecord | undefined>;
  /** The manifest a tag points to (one lookup: this is the hot path of every pull). */
  getManifestByTag(repo: string, tag: string): Promise<ManifestRecord | undefined>;
  /** Deletes a manifest and every tag pointing to it; false when absent. */
  deleteManifest(repo: string, digest: string): Promise<boolean>;
  /** Deletes one tag (the manifest stays); false when absent. */
  deleteTag(repo: string, tag: string): Promise<boolean>;
  /** Tags of `repo` after `after` (exclusive), at most `limit`. */
  listTags(repo: string, after: string | undefined, limit: number): Promise<string[]>;
  /** Images of `repo` (digest order) after digest `after`, filtered by tag status. */
  listImages(repo: string, after: string | undefined, limit: number, tagStatus?: TagStatus): Promise<ImageRecord[]>;
  /** The images with these digests that exist in `repo`. */
  getImages(repo: string, digests: readonly string[]): Promise<ImageRecord[]>;
  /** ListImages rows ordered by (digest, tag), after the row `after`, filtered by tag status. */
  listImageIds(repo: string, after: ImageIdRow | undefined, limit: number, tagStatus?: TagStatus): Promise<ImageIdRow[]>;
  /** Digest a tag points to, or undefined. */
  resolveTag(repo: string, tag: string): Promise<string | undefined>;
  /** Records a pull of `digest` at `at` unless one was recorded less than `minIntervalMs` before. */
  recordPull(repo: string, digest: string, at: Date, minIntervalMs: number): Promise<void>;
  /** Registry-wide settings (registry policy, account settings) by name. */
  getSetting(name: string): Promise<string | undefined>;
  putSetting(name: string, value: string | undefined): Promise<void>;
  /** Manifests in `repo` whose subject is `subject`, optionally only of one artifactType. */
  listReferrers(repo: string, subject: string, artifactType?: string): Promise<Referrer[]>;
  /**
   * BatchDeleteImage by digest, in one transaction: deletes the image and every tag pointing to it,
   * unless a manifest (an index) in the repository references it: then 'referenced' and nothing
   * changes. Returns the removed tags (sorted), or undefined when the image does not exist.
   */
  deleteImage(repo: string, digest: string): Promise<{ tags: string[] } | 'referenced' | undefined>;
  /**
   * BatchDeleteImage by tag, in one transaction: removes `tag` (when `digest` is given, only if the tag
   * points at it, else 'mismatch'). When that was the image's last tag and no manifest in the
   * repository references the image, the image is deleted too (`imageDeleted`). Undefined when the
   * tag does not exist.
   */
  untagImage(repo: string, tag: string, digest?: string): Promise<{ digest: string; imageDeleted: boolean } | 'mismatch' | undefined>;

  close(): Promise<void>;
}
