// Blob and upload use cases: read, check, delete blobs of a repository; open, append, complete,
// cancel and mount uploads; sweep abandoned uploads. Bytes always stream; nothing is buffered whole.
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseDigest } from '../domain/digest.ts';
import { errors, type WharfError } from '../domain/errors.ts';
import type { BlobInfo, BlobReadable, ByteRange } from '../ports/blob-store.ts';
import type { BlobReservation } from '../ports/metadata-store.ts';
import type { ServiceDeps } from './context.ts';
import type { RepositoryService } from './repositories.ts';

export interface UploadState {
  readonly id: string;
  readonly repo: string;
  /** Bytes received so far. */
  readonly size: number;
}

/** How long an install waits for a garbage collection that is deleting the same blob (real time). */
export const COLLECTION_WAIT_MS = 10_000;

export class BlobService {
  constructor(private readonly d: ServiceDeps, private readonly repos: RepositoryService) {}

  /** A blob linked to `repo`, or BLOB_UNKNOWN (NAME_UNKNOWN when the repository does not exist). */
  async stat(repo: string, digest: string): Promise<BlobInfo> {
    parseDigest(digest);
    const linked = await this.d.meta.getLinkedBlob(repo, digest);
    if (linked) return linked;
    await this.repos.require(repo);
    throw errors.blobUnknown({ digest });
  }

  async read(repo: string, digest: string, range?: ByteRange): Promise<BlobReadable> {
    return this.d.blobs.read(digest, range);
  }

  /**
   * Removes the blob from `repo` (its bytes stay until garbage collection finds them unreferenced).
   * BlobReferenced (409 DENIED) while a manifest of the repository uses it, so images stay pullable.
   */
  async delete(repo: string, digest: string): Promise<void> {
    parseDigest(digest);
    const r = await this.d.meta.unlinkBlob(repo, digest);
    if (r === 'referenced') throw errors.blobReferenced({ digest });
    if (!r) {
      await this.repos.require(repo);
      throw errors.blobUnknown({ digest });
    }
  }

  /** Reserves `digest` for an install, waiting while a garbage collection is deleting it. */
  private async reserve(digest: string, size: number): Promise<BlobReservation> {
    const deadline = Date.now() + COLLECTION_WAIT_MS;
    for (let pause = 5; ; pause = Math.min(pause * 2, 200)) {
      const r = await this.d.meta.reserveBlob(digest, size, this.d.clock.now());
      if (r !== 'marked') return r;
      if (Date.now() >= deadline) throw errors.blobBeingCollected({ digest });
      await sleep(pause);
    }
  }

  /**
   * Installs blob bytes and links them to `repo`, fenced against garbage collection: reserve the row,
   * `install` the bytes, then link only if no collection took the row in between (else the bytes may
   * be gone, and the push fails instead of reporting a blob that is not stored).
   */
  private async installAndLink(repo: string, digest: string, size: number, install: () => Promise<BlobInfo>): Promise<BlobInfo> {
    const r = await this.reserve(digest, size);
    const info = await install();
    const res = await this.d.meta.linkReservedBlob(repo, r, info.size, this.d.clock.now());
    if (res === 'no-repository') throw this.repos.notFound(repo);
    if (res === 'collected') throw errors.blobBeingCollected({ digest });
    return info;
  }

  /** Monolithic push: the whole blob in one request, verified against `digest`. */
  async putWhole(repo: string, digest: string, body: Readable, size?: number): Promise<BlobInfo> {
    parseDigest(digest);
    await this.repos.require(repo);
    return this.installAndLink(repo, digest, size ?? 0, () => this.d.blobs.put(body, digest, size));
  }

  /** Cross-repository mount: links `digest` from `from` into `repo` when `from` has it. */
  async mount(repo: string, from: string, digest: string): Promise<BlobInfo | undefined> {
    parseDigest(digest);
    await this.repos.require(repo);
    if (!(await this.d.blobs.stat(digest))) return undefined;
    const res = await this.d.meta.mountBlob(repo, from, digest, this.d.clock.now());
    if (res === 'no-repository') throw this.repos.notFound(repo);
    return res;
  }

  async startUpload(repo: string): Promise<UploadState> {
    await this.repos.require(repo);
    const id = this.d.newId();
    await this.d.blobs.startUpload(id);
    if (!(await this.d.meta.createUpload({ id, repo, startedAt: this.d.clock.now() }))) {
      await this.d.blobs.abortUpload(id);
      throw this.repos.notFound(repo);
    }
    return { id, repo, size: 0 };
  }

  /** The session `id` of `repo`, or BLOB_UPLOAD_UNKNOWN. */
  async upload(repo: string, id: string): Promise<UploadState> {
    const s = await this.d.meta.getUpload(id);
    if (!s || s.repo !== repo) {
      await this.repos.require(repo);
      throw errors.blobUploadUnknown({ uploadId: id });
    }
    const info = await this.d.blobs.uploadInfo(id);
    if (!info) throw errors.blobUploadUnknown({ uploadId: id });
    return { id, repo, size: info.size };
  }

  /**
   * Appends a chunk. `start` is where the client says the chunk begins (Content-Range), undefined
   * for a streamed PATCH (append at the end). Out-of-order chunks get 416.
   */
  async append(repo: string, id: string, body: Readable, start?: number): Promise<UploadState> {
    const cur = await this.upload(repo, id);
    const offset = start ?? cur.size;
    if (offset !== cur.size) throw errors.uploadOutOfOrder({ expected: cur.size, got: `${start}-` });
    const size = await this.d.blobs.appendUpload(id, body, offset);
    return { id, repo, size };
  }

  /** Completes an upload with an optional final chunk; verifies `digest`, then links the blob. */
  async complete(repo: string, id: string, digest: string, finalChunk?: Readable, start?: number): Promise<BlobInfo> {
    parseDigest(digest);
    const { size } = finalChunk ? await this.append(repo, id, finalChunk, start) : await this.upload(repo, id);
    return this.installAndLink(repo, digest, size, async () => {
      const info = await this.d.blobs.commitUpload(id, digest);
      await this.d.meta.deleteUpload(id);
      return info;
    });
  }

  async cancel(repo: string, id: string): Promise<void> {
    await this.upload(repo, id);
    await this.d.meta.deleteUpload(id);
    await this.d.blobs.abortUpload(id);
  }

  /** The blob when it is linked to `repo`, else undefined (the caller checks the repository). */
  async linked(repo: string, digest: string): Promise<BlobInfo | undefined> {
    return this.d.meta.getLinkedBlob(repo, digest);
  }

  /** True when only ARCHIVED images of `repo` use the blob (MetadataStore.blobInArchivedImagesOnly). */
  async archivedOnly(repo: string, digest: string): Promise<boolean> {
    return this.d.meta.blobInArchivedImagesOnly(repo, digest);
  }

  /**
   * A blob of `repo` that can be read now: BLOB_UNKNOWN when it is not linked (NAME_UNKNOWN without
   * the repository), LayerInaccessible when it is linked but its bytes are gone from the BlobStore.
   */
  async readable(repo: string, digest: string): Promise<BlobInfo> {
    const info = await this.stat(repo, digest);
    if (!(await this.d.blobs.stat(digest))) throw errors.layerInaccessible({ digest });
    return info;
  }

  /**
   * Appends a part whose place is stated (ECR UploadLayerPart): it must begin exactly where the
   * upload ends and hold last - first + 1 bytes (at least one), else InvalidLayerPart naming the
   * last valid byte. No minimum part size: /v2/ chunks share the session and have none.
   */
  async appendPart(repo: string, id: string, bytes: Buffer, first: number, last: number): Promise<UploadState> {
    const cur = await this.upload(repo, id);
    const refuse = (size: number, reason: string) => errors.layerPartInvalid({ reason }, undefined, undefined,
      { registryId: this.d.registryId, repositoryName: repo, uploadId: id, lastValidByteReceived: size - 1 });
    if (bytes.length === 0) throw refuse(cur.size, 'the layer part is empty');
    if (last - first + 1 !== bytes.length) {
      throw refuse(cur.size, `bytes ${first}-${last} are ${last - first + 1} bytes but the part holds ${bytes.length}`);
    }
    if (first !== cur.size) throw refuse(cur.size, `the upload holds ${cur.size} bytes, so the next part must start at byte ${cur.size}, not ${first}`);
    try {
      return { id, repo, size: await this.d.blobs.appendUpload(id, Readable.from([bytes]), first) };
    } catch (e) {
      const id2 = (e as WharfError).spec?.id;
      if (id2 !== errors.uploadOutOfOrder.spec.id && id2 !== errors.blobUploadInvalid.spec.id) throw e;
      throw refuse((await this.upload(repo, id)).size, 'another part of this upload arrived at the same time');
    }
  }

  /**
   * ECR CompleteLayerUpload: EmptyUpload when no byte arrived; when the repository already has the
   * layer, discards the upload and answers LayerAlreadyExists (as ECR does); otherwise complete().
   */
  async completeLayer(repo: string, id: string, digest: string): Promise<BlobInfo> {
    const cur = await this.upload(repo, id);
    parseDigest(digest);
    if (cur.size === 0) throw errors.emptyUpload({ uploadId: id });
    if (await this.d.meta.getLinkedBlob(repo, digest)) {
      await this.d.meta.deleteUpload(id);
      await this.d.blobs.abortUpload(id);
      throw errors.layerAlreadyExists({ repo, registryId: this.d.registryId, digest });
    }
    return this.complete(repo, id, digest);
  }

  /**
   * Deletes upload sessions not touched for `ttlMs`, and upload files without a session (left by a
   * crash between the two writes). Returns how many were removed (with `dryRun`, would be; nothing
   * is deleted then).
   */
  async sweepAbandonedUploads(ttlMs: number, dryRun = false): Promise<number> {
    const cutoff = new Date(this.d.clock.now().getTime() - ttlMs);
    let removed = 0;
    const abandoned = new Set<string>();
    for (const s of await this.d.meta.listUploadsStartedBefore(cutoff)) {
      const info = await this.d.blobs.uploadInfo(s.id);
      if (info && info.updatedAt > cutoff) continue; // still receiving data
      abandoned.add(s.id);
      if (!dryRun) {
        await this.d.blobs.abortUpload(s.id);
        await this.d.meta.deleteUpload(s.id);
      }
      removed++;
    }
    for (const u of await this.d.blobs.listUploads()) {
      if (abandoned.has(u.id) || u.updatedAt > cutoff || (await this.d.meta.getUpload(u.id))) continue;
      if (!dryRun) await this.d.blobs.abortUpload(u.id);
      removed++;
    }
    return removed;
  }
}
