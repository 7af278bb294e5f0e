// Manifest use cases: push (validate, check references, move tags atomically), pull with Accept
// negotiation, delete, tag listing and referrers.
import { parseDigest } from '../domain/digest.ts';
import { errors, isStorageFull, WharfError } from '../domain/errors.ts';
import { MANIFEST_MAX_BYTES, digestOf, parseManifest, type ParsedManifest } from '../domain/manifest.ts';
import { assertTag } from '../domain/names.ts';
import { assertTagMayMove } from '../domain/repository.ts';
import type { ManifestRecord, Referrer, TagDecision, TagPageJson } from '../ports/metadata-store.ts';
import type { ServiceDeps } from './context.ts';
import type { RepositoryService } from './repositories.ts';

/** A manifest reference: a digest or a tag, told apart by the `:` only digests have. */
export type Reference = { kind: 'digest'; digest: string } | { kind: 'tag'; tag: string };

export function parseReference(ref: string): Reference {
  if (ref.includes(':')) return { kind: 'digest', digest: parseDigest(ref).value };
  return { kind: 'tag', tag: assertTag(ref) };
}

/** What a caller other than /v2/ (PutImage) adds to a push; /v2/ passes none. */
export interface PutOptions {
  /** Runs after the repository's tag rule, inside the same transaction (PutImage: ImageAlreadyExists). */
  readonly decideTag?: TagDecision;
  /** Builds the error for a reference missing from the repository (default MANIFEST_BLOB_UNKNOWN). */
  readonly missing?: (digest: string, kind: 'blob' | 'manifest') => Error;
  /**
   * More tags to point at the manifest in the same transaction (OCI 1.1 `?tag=`). Each is checked
   * against the tag grammar first (TAG_INVALID, nothing stored) and then like the reference's own tag.
   */
  readonly tags?: readonly string[];
  /**
   * The digest the client claims for a push by tag (PutImage's imageDigest): verified against the
   * bytes with its own algorithm, and the manifest is stored under it, as for a push by that digest.
   */
  readonly digest?: string;
}

export interface PushedManifest {
  /** The digest the manifest is stored under: the client's (sha256 or sha512), else sha256 of the bytes. */
  readonly digest: string;
  readonly subject?: string;
  readonly created: boolean;
  /** Every tag now pointing at the manifest because of this push, in request order. */
  readonly tags: readonly string[];
}

/** The repository's tag-mutability rule, applied inside the metadata transaction (both planes). */
const repositoryRule: TagDecision = (repo, tag, current) => assertTagMayMove(repo, tag, current);

/** lastRecordedPullTime is refreshed at most once a minute per image (ECR: at least once a day). */
export const PULL_RECORD_INTERVAL_MS = 60_000;

export class ManifestService {
  readonly maxBytes = MANIFEST_MAX_BYTES;

  constructor(private readonly d: ServiceDeps, private readonly repos: RepositoryService, private readonly decideTag: TagDecision = repositoryRule) {}

  /**
   * Pushes a manifest by tag or digest. By digest (sha256 or sha512) the bytes must hash to it with
   * that algorithm, and the manifest is stored, answered and pullable under exactly that digest; by
   * tag it is stored under its sha256 (or `opts.digest`). The reference's tag and `opts.tags` move in
   * the same transaction as the write, each under the repository's tag rule.
   */
  async put(repo: string, ref: string, bytes: Buffer, contentType: string | undefined, opts: PutOptions = {}): Promise<PushedManifest> {
    const r = parseReference(ref);
    const tags = [...new Set([...(r.kind === 'tag' ? [r.tag] : []), ...(opts.tags ?? []).map(assertTag)])];
    if (bytes.length > this.maxBytes) throw errors.manifestTooLarge({ limit: this.maxBytes });
    const m = parseManifest(bytes, contentType);
    const claimed = r.kind === 'digest' ? r.digest : opts.digest;
    let digest = m.digest;
    if (claimed !== undefined) {
      const algorithm = parseDigest(claimed).algorithm;
      const actual = algorithm === 'sha256' ? m.digest : digestOf(bytes, algorithm);
      if (actual !== claimed) throw errors.digestInvalid({ reason: `manifest digest is ${actual}, not ${claimed}` });
      digest = claimed;
    }
    const extra = opts.decideTag;
    const res = await this.d.meta.putManifest(repo, {
      digest, mediaType: m.mediaType, size: m.size, bytes, imageSize: await this.imageSize(repo, m),
      artifactType: m.artifactType, subject: m.subject?.digest, annotations: m.annotations, configMediaType: m.configMediaType,
      blobDigests: [...new Set(m.blobs.map((b) => b.digest))],
      childDigests: [...new Set(m.children.map((c) => c.digest))],
    }, tags, this.d.clock.now(), extra ? (rp, t, cur, next) => { this.decideTag(rp, t, cur, next); extra(rp, t, cur, next); } : this.decideTag);
    if (!res.ok) {
      if (res.reason === 'repository') throw this.repos.notFound(repo);
      if (opts.missing) throw opts.missing(res.digest, m.children.some((c) => c.digest === res.digest) ? 'manifest' : 'blob');
      throw errors.manifestBlobUnknown({ digest: res.digest }, { digest: res.digest });
    }
    return { digest, subject: m.subject?.digest, created: res.created, tags };
  }

  /** ECR's imageSizeInBytes: the layers' compressed sizes added up; for an index, its largest child. */
  private async imageSize(repo: string, m: ParsedManifest): Promise<number> {
    if (m.children.length === 0) return m.blobs.slice(1).reduce((n, b) => n + b.size, 0);
    const children = await this.d.meta.getImages(repo, m.children.map((c) => c.digest));
    return children.reduce((n, c) => Math.max(n, c.size), 0);
  }

  /**
   * The manifest for `ref`. By tag, a client whose Accept list names manifest types but not the stored
   * one gets MANIFEST_UNKNOWN (Wharf does not convert formats); by digest, the stored bytes always.
   * An archived image (or one still being restored) is MANIFEST_UNKNOWN, as ECR answers 404 for it.
   * A reference that is neither a valid tag nor a supported digest names nothing: MANIFEST_UNKNOWN
   * too (the distribution spec allows only 404 for GET/HEAD; PUT and DELETE answer 400 instead).
   */
  async get(repo: string, ref: string, accept?: readonly string[]): Promise<ManifestRecord> {
    let r: Reference;
    try {
      r = parseReference(ref);
    } catch (e) {
      if (!(e instanceof WharfError)) throw e;
      await this.repos.require(repo);
      throw errors.manifestUnknown(undefined, { reason: `'${ref}' is neither a valid tag nor a supported digest` });
    }
    const m = r.kind === 'tag' ? await this.d.meta.getManifestByTag(repo, r.tag) : await this.d.meta.getManifest(repo, r.digest);
    if (m?.imageStatus) throw errors.manifestUnknown();
    if (!m) {
      await this.repos.require(repo);
      throw errors.manifestUnknown();
    }
    if (r.kind === 'tag' && accept && accept.length > 0 && !accepts(accept, m.mediaType)) {
      throw errors.manifestUnknown(undefined, { reason: `manifest media type ${m.mediaType} is not in the request's Accept list` });
    }
    return m;
  }

  /**
   * Records that `principalArn` pulled `digest` (drives lastRecordedPullTime), unless that principal is
   * on the pull-time update exclusion list. On a full disk nothing is recorded and the pull goes on.
   */
  async recordPull(repo: string, digest: string, principalArn?: string): Promise<void> {
    await unlessStorageFull(this.d.meta.recordPull(repo, digest, this.d.clock.now(), PULL_RECORD_INTERVAL_MS, principalArn));
  }

  /**
   * recordPull for a manifest just served by get(). When the pull time it was read with is recent
   * enough that the store would not change it (the same interval test), the store is not asked: the
   * result is identical, exclusions included, and a hot manifest's GET writes nothing.
   */
  async recordServed(m: ManifestRecord, principalArn?: string): Promise<void> {
    const now = this.d.clock.now();
    if (m.lastPulledAt && m.lastPulledAt.getTime() >= now.getTime() - PULL_RECORD_INTERVAL_MS) return;
    await unlessStorageFull(this.d.meta.recordPull(m.repo, m.digest, now, PULL_RECORD_INTERVAL_MS, principalArn));
  }

  /**
   * DELETE on /v2/, with BatchDeleteImage's rules (ECR): by tag, removes that tag, and the image with it
   * when it was the last tag and no index refers to it; by digest, removes the image and all its tags,
   * unless an index in the repository references it (then refused, nothing deleted).
   */
  async delete(repo: string, ref: string): Promise<void> {
    const r = parseReference(ref);
    const res = r.kind === 'tag' ? await this.d.meta.untagImage(repo, r.tag) : await this.d.meta.deleteImage(repo, r.digest);
    if (res === 'referenced') throw errors.imageReferencedByIndex({ digest: (r as { digest: string }).digest });
    if (res === undefined || res === 'mismatch') {
      await this.repos.require(repo);
      throw errors.manifestUnknown();
    }
  }

  /** One page of tags/list as JSON (MetadataStore.listTagsJson); NAME_UNKNOWN for a missing repository. */
  async listTagsJson(repo: string, after: string | undefined, limit: number): Promise<TagPageJson> {
    const page = await this.d.meta.listTagsJson(repo, after, limit);
    if (page) return page;
    await this.repos.require(repo); // NAME_INVALID or NAME_UNKNOWN
    throw this.repos.notFound(repo); // created since the listing: still unknown to this request
  }

  /** The OCI referrers of `subject`: pullable (ACTIVE) manifests only. */
  async referrers(repo: string, subject: string, artifactType?: string): Promise<Referrer[]> {
    parseDigest(subject);
    await this.repos.require(repo);
    return this.d.meta.listReferrers(repo, subject, artifactType, 'ACTIVE');
  }
}

/** True when an Accept list (media types, possibly with parameters or wildcards) admits `type`. */
function accepts(accept: readonly string[], type: string): boolean {
  const manifestish = accept.some((a) => a.includes('manifest') || a.includes('index'));
  if (!manifestish) return true; // e.g. `*/*` or application/json only: no negotiation intended
  return accept.some((a) => a === type || a === '*/*' || a === 'application/*');
}

/**
 * A pull time is bookkeeping: when the disk is full (StorageFull, which the store has already
 * reported to StorageHealth), the pull is served without it rather than failed.
 */
async function unlessStorageFull(write: Promise<void>): Promise<void> {
  try {
    await write;
  } catch (e) {
    if (!isStorageFull(e)) throw e;
  }
}
