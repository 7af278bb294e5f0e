// BlobStore: where blob bytes live. Content-addressed, immutable once committed; uploads are staged
// sessions that become a blob only after their digest is verified. Which repositories may see a blob
// is metadata (MetadataStore links), not the BlobStore's concern.
import type { Readable, Writable } from 'node:stream';
import type { DigestAlgorithm } from '../domain/digest.ts';

export interface BlobInfo {
  readonly digest: string;
  readonly size: number;
}

/**
 * A committed blob's bytes as read() returns them: a Readable, and optionally a faster way to send
 * them. A caller uses one or the other, never both.
 */
export interface BlobReadable extends Readable {
  /**
   * Writes the bytes into `sink` (a socket or an HTTP response) without ending it, reusing a few
   * buffers: each is reused only once `sink`'s write callback reported it written, so at most a few
   * MiB are in flight per reader. Resolves after the last write's callback; rejects if `sink` fails
   * or closes first. Either way the reader is closed when it settles.
   */
  writeTo?(sink: Writable): Promise<void>;
}

/** Inclusive byte range, already validated against the blob size by the caller. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

export interface UploadInfo {
  readonly id: string;
  /** Bytes received so far. */
  readonly size: number;
  readonly updatedAt: Date;
}

/**
 * Contract (test/contracts/blob-store.contract.ts runs it against every adapter):
 * - A committed blob is durable (fsynced or equivalent) and its bytes match its digest before any
 *   method reports it; a crash at any point never makes a partial blob visible through stat/read.
 * - Blobs are immutable: committing bytes whose digest already exists is a no-op that succeeds.
 * - Digest arguments are pre-validated `algorithm:hex` strings (domain/digest.ts); adapters may
 *   assume so and must never build paths from anything else.
 * - Upload ids are opaque tokens made by the caller (UUIDs); adapters must not trust them in paths
 *   without validation.
 * - A write that fails because the storage is out of space throws StorageFull (507) and leaves what
 *   the other failures leave: put stores nothing, appendUpload keeps a prefix (the session's bytes
 *   before it plus what reached storage whole), commitUpload keeps the session and makes no blob.
 *   An adapter that stops reading a request's `source` because a write failed reads and discards
 *   the rest, so the client, still sending, gets the error response rather than a reset.
 */
export interface BlobStore {
  /** Size of a committed blob, or undefined when absent. */
  stat(digest: string): Promise<BlobInfo | undefined>;

  /**
   * Streams a committed blob, or the inclusive `range` of it. Throws BLOB_UNKNOWN when absent. The
   * result must be consumed or destroyed (or its writeTo awaited), so that the file is closed.
   */
  read(digest: string, range?: ByteRange): Promise<BlobReadable>;

  /**
   * Stores a whole blob from `source` in one call (monolithic push), hashing while streaming.
   * When `expected` is given and the bytes do not match, throws DIGEST_INVALID and stores nothing.
   * When `expectedSize` is given and differs, throws SIZE_INVALID and stores nothing.
   * Without `expected`, the blob is stored under its sha256 digest.
   */
  put(source: Readable, expected?: string, expectedSize?: number): Promise<BlobInfo>;

  /** Opens an empty upload session `id`. */
  startUpload(id: string): Promise<void>;

  /** Current state of an upload session, or undefined when unknown. Survives restarts. */
  uploadInfo(id: string): Promise<UploadInfo | undefined>;

  /**
   * Appends `source` to upload `id`, which must currently hold exactly `offset` bytes (else throws
   * UploadOutOfOrder with status 416 and appends nothing). Returns the new size. If the stream fails
   * midway, the bytes already written stay (the client may resume from the reported size).
   * Concurrent appends to one session are serialised or rejected, never interleaved.
   */
  appendUpload(id: string, source: Readable, offset: number): Promise<number>;

  /**
   * Verifies that the upload's bytes have digest `expected` (algorithm from the digest) and
   * atomically turns them into a committed blob, closing the session. On mismatch throws
   * DIGEST_INVALID, stores nothing and keeps the session (the client may cancel it).
   * Throws BLOB_UPLOAD_UNKNOWN for an unknown id.
   */
  commitUpload(id: string, expected: string): Promise<BlobInfo>;

  /** Removes an upload session and its bytes; unknown ids are ignored. */
  abortUpload(id: string): Promise<void>;

  /** Every upload session (for cleaning up abandoned ones). */
  listUploads(): Promise<UploadInfo[]>;

  /** Deletes a committed blob; absent blobs are ignored. Callers decide when it is unreferenced. */
  delete(digest: string): Promise<void>;

  /** Every committed blob, in no particular order (for garbage collection and audits). */
  list(): AsyncIterable<BlobInfo>;

  /** Releases resources; the store is not used afterwards. */
  close(): Promise<void>;
}

export type { DigestAlgorithm };
