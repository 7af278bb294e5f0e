// BlobStore on the local filesystem: the embedded default. The tree, drawn once:
//
//   <root>/blobs/<algorithm>/<hex[0:2]>/<hex>   committed blobs, immutable, content-addressed
//   <root>/uploads/<uuid>                        bytes of an upload session (appended by PATCH)
//   <root>/tmp/<random>                          monolithic pushes in flight; emptied at start-up
//
// A blob is written to uploads/ or tmp/, hashed while streaming, fsynced, verified, then renamed into
// blobs/ and the directory fsynced: a crash at any moment leaves either no blob or a complete one.
// A full disk (ENOSPC, EDQUOT) is reported as StorageFull, after cutting back what was half written.
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { tryParseDigest, type DigestAlgorithm } from '../../domain/digest.ts';
import { errors } from '../../domain/errors.ts';
import type { BlobInfo, BlobReadable, BlobStore, ByteRange, UploadInfo } from '../../ports/blob-store.ts';
import { silentStorageHealth, type StorageHealth } from '../../ports/storage-health.ts';
import { translateNoSpace } from '../storage-full.ts';
import { sendFileRange } from './send-file.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const READ_CHUNK = 1024 * 1024;

/** A running hash over an upload's bytes so far; lost on restart and rebuilt from the file. */
interface HashState { hash: Hash; size: number }

/** How StorageHealth and StorageFull name this store. */
const STORE = 'blob store';

/**
 * Opens (creating) the tree under `root` and empties tmp/, unless `keepTmp`: then another process
 * (a running server, while an admin command opens the same directory) may be writing there.
 * `health` hears of writes that fail for lack of space and of writes that succeed.
 */
export async function openFsBlobStore(root: string, opts: { keepTmp?: boolean; health?: StorageHealth } = {}): Promise<BlobStore> {
  const store = new FsBlobStore(root, opts.health ?? silentStorageHealth);
  await mkdir(join(root, 'blobs'), { recursive: true });
  await mkdir(join(root, 'uploads'), { recursive: true });
  if (!opts.keepTmp) await rm(join(root, 'tmp'), { recursive: true, force: true });
  await mkdir(join(root, 'tmp'), { recursive: true });
  return store;
}

function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === 'ENOENT';
}

async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try { await fh.sync(); } finally { await fh.close(); }
}

/** Bytes gathered before one write: fewer, larger writes than the socket's 64 KiB chunks. */
const WRITE_BATCH = 1024 * 1024;
/** Dirty bytes after which a background fdatasync starts, so the final fsync has little left to do. */
const SYNC_EVERY = 8 * 1024 * 1024;

/** Writes allowed in flight at once, so reading the socket and writing the disk overlap. */
const WRITES_IN_FLIGHT = 4;

/**
 * Streams `source` into `path` from byte `start` (the file is created with 'wx', or opened 'r+' to
 * continue an upload), feeding every chunk to `hash` on the way, and returns the number of bytes
 * written. Writes are positioned and several run at once; data is flushed to disk progressively while
 * it arrives, so the caller's final fsync does not wait for the whole blob. If `source` or a write
 * fails, the file is cut back to the bytes written contiguously (a gathered batch not yet written is
 * dropped) and the error propagates; when a write failed (a full disk), the rest of `source` is read
 * and discarded, so that the client, still sending, receives the error response instead of a reset.
 * With `sync`, a complete write is also fsynced before the file is closed (saving the caller an open
 * and a close).
 */
async function streamToFile(source: Readable, path: string, flags: 'wx' | 'r+', start: number, hash: Hash, sync = false): Promise<number> {
  const fh = await open(path, flags);
  let written = 0; // contiguous bytes confirmed on disk
  let queued = 0; // bytes handed to writes so far
  let dirty = 0;
  let syncing: Promise<void> | undefined;
  const pending: Promise<number>[] = [];
  let batch: Buffer[] = [];
  let batched = 0;
  const writeAll = async (buf: Buffer, position: number): Promise<number> => {
    for (let off = 0; off < buf.length;) off += (await fh.write(buf, off, buf.length - off, position + off)).bytesWritten;
    return buf.length;
  };
  let writeFailed = false;
  const settleOldest = async () => {
    try {
      written += await pending.shift()!;
    } catch (e) {
      writeFailed = true; // bytes after this write are not contiguous with `written`
      throw e;
    }
  };
  const flush = async () => {
    const buf = batch.length === 1 ? batch[0] : Buffer.concat(batch, batched);
    batch = [];
    batched = 0;
    const p = writeAll(buf, start + queued);
    p.catch(() => {}); // awaited in order below; never an unhandled rejection meanwhile
    pending.push(p);
    queued += buf.length;
    dirty += buf.length;
    if (pending.length >= WRITES_IN_FLIGHT) await settleOldest();
    if (dirty >= SYNC_EVERY && !syncing) {
      dirty = 0;
      syncing = fh.datasync().finally(() => (syncing = undefined));
    }
  };
  let failed = false;
  try {
    for await (const chunk of source.iterator({ destroyOnReturn: false })) {
      hash.update(chunk as Buffer);
      batch.push(chunk as Buffer);
      batched += (chunk as Buffer).length;
      if (batched >= WRITE_BATCH) await flush();
    }
    if (batched > 0) await flush();
    while (pending.length) await settleOldest();
    if (sync) {
      await syncing;
      await fh.sync();
    }
  } catch (e) {
    failed = true;
    if (!source.destroyed) source.resume(); // stopped by a write: drain the rest (an ended source ignores this)
    throw e;
  } finally {
    if (failed) {
      // Let every write in flight finish, count the unbroken run, and cut the file there.
      const settled = await Promise.allSettled(pending);
      for (const r of settled) {
        if (writeFailed || r.status === 'rejected') break;
        written += r.value;
      }
      await fh.truncate(start + written).catch(() => {});
    }
    await syncing?.catch(() => {});
    await fh.close();
  }
  return written;
}

async function hashFile(path: string, algorithm: DigestAlgorithm): Promise<HashState> {
  const hash = createHash(algorithm);
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { hash, size };
}

class FsBlobStore implements BlobStore {
  private readonly states = new Map<string, HashState>();
  private readonly busy = new Set<string>();
  private readonly madeDirs = new Set<string>();

  constructor(private readonly root: string, private readonly health: StorageHealth) {}

  /** Translates a full disk into StorageFull (telling `health`); other errors pass unchanged. */
  private noSpace(e: unknown): unknown {
    return translateNoSpace(e, STORE, this.health);
  }

  private blobPath(digest: string): string {
    const d = tryParseDigest(digest);
    if (!d) throw errors.digestInvalid({ reason: `'${digest}' is not a valid digest` });
    return join(this.root, 'blobs', d.algorithm, d.hex.slice(0, 2), d.hex);
  }

  private uploadPath(id: string): string {
    if (!UUID.test(id)) throw errors.blobUploadUnknown({ uploadId: id });
    return join(this.root, 'uploads', id);
  }

  async stat(digest: string): Promise<BlobInfo | undefined> {
    try {
      const s = await stat(this.blobPath(digest));
      return { digest, size: s.size };
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  }

  async read(digest: string, range?: ByteRange): Promise<BlobReadable> {
    let fh;
    try {
      fh = await open(this.blobPath(digest), 'r');
    } catch (e) {
      if (isMissing(e)) throw errors.blobUnknown({ digest });
      throw e;
    }
    const stream: BlobReadable = fh.createReadStream({ start: range?.start, end: range?.end, highWaterMark: READ_CHUNK, autoClose: true });
    const file = fh;
    stream.writeTo = async (sink) => {
      try {
        await sendFileRange(file, range?.start ?? 0, range ? range.end + 1 : Infinity, sink);
      } finally {
        stream.destroy(); // closes the file (autoClose); the stream itself was never read
      }
    };
    return stream;
  }

  /** Moves a verified, fsynced file into place (or drops it if the blob exists), durably. */
  private async install(from: string, digest: string): Promise<void> {
    const to = this.blobPath(digest);
    const dir = join(to, '..');
    if (!this.madeDirs.has(dir)) {
      // A directory made now must itself be recorded durably: fsync the parents that gained an entry.
      const first = await mkdir(dir, { recursive: true });
      if (first !== undefined) {
        for (let d = dir; d.length >= first.length; d = dirname(d)) await fsyncPath(dirname(d));
      }
      this.madeDirs.add(dir);
    }
    await rename(from, to);
    await fsyncPath(dir);
  }

  async put(source: Readable, expected?: string, expectedSize?: number): Promise<BlobInfo> {
    const algorithm: DigestAlgorithm = (expected && tryParseDigest(expected)?.algorithm) || 'sha256';
    const tmp = join(this.root, 'tmp', randomUUID());
    const hash = createHash(algorithm);
    try {
      const size = await streamToFile(source, tmp, 'wx', 0, hash, true);
      const digest = `${algorithm}:${hash.digest('hex')}`;
      if (expectedSize !== undefined && size !== expectedSize) {
        throw errors.sizeInvalid({ reason: `expected ${expectedSize} bytes, received ${size}` });
      }
      if (expected !== undefined && digest !== expected) {
        throw errors.digestInvalid({ reason: `expected ${expected}, computed ${digest}` });
      }
      await this.install(tmp, digest); // streamToFile fsynced the bytes
      if (size > 0) this.health.writable(STORE);
      return { digest, size };
    } catch (e) {
      await rm(tmp, { force: true });
      throw this.noSpace(e);
    }
  }

  async startUpload(id: string): Promise<void> {
    const path = this.uploadPath(id);
    let created = false;
    try {
      const fh = await open(path, 'wx');
      created = true;
      await fh.close();
      await fsyncPath(join(this.root, 'uploads'));
    } catch (e) {
      if (created) await unlink(path).catch(() => {}); // a session that is not durable is no session
      throw this.noSpace(e);
    }
    this.states.set(id, { hash: createHash('sha256'), size: 0 });
  }

  async uploadInfo(id: string): Promise<UploadInfo | undefined> {
    try {
      const s = await stat(this.uploadPath(id));
      return { id, size: s.size, updatedAt: s.mtime };
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  }

  private lock(id: string): void {
    if (this.busy.has(id)) throw errors.blobUploadInvalid({ reason: `upload ${id} is already receiving data` });
    this.busy.add(id);
  }

  async appendUpload(id: string, source: Readable, offset: number): Promise<number> {
    const path = this.uploadPath(id);
    this.lock(id);
    try {
      const info = await this.uploadInfo(id);
      if (!info) throw errors.blobUploadUnknown({ uploadId: id });
      if (info.size !== offset) throw errors.uploadOutOfOrder({ expected: info.size, got: `${offset}-` });
      let state = this.states.get(id);
      if (!state || state.size !== info.size) state = await hashFile(path, 'sha256');
      this.states.delete(id);
      let added: number;
      try {
        added = await streamToFile(source, path, 'r+', info.size, state.hash);
      } catch (e) {
        throw this.noSpace(e); // the file was cut back to a prefix the next append rehashes
      }
      state.size += added;
      this.states.set(id, state);
      if (added > 0) this.health.writable(STORE);
      return state.size;
    } finally {
      this.busy.delete(id);
    }
  }

  async commitUpload(id: string, expected: string): Promise<BlobInfo> {
    const path = this.uploadPath(id);
    const want = tryParseDigest(expected);
    if (!want) throw errors.digestInvalid({ reason: `'${expected}' is not a valid digest` });
    this.lock(id);
    try {
      const info = await this.uploadInfo(id);
      if (!info) throw errors.blobUploadUnknown({ uploadId: id });
      let state = this.states.get(id);
      if (want.algorithm !== 'sha256' || !state || state.size !== info.size) state = await hashFile(path, want.algorithm);
      const digest = `${want.algorithm}:${state.hash.copy().digest('hex')}`;
      if (digest !== expected) throw errors.digestInvalid({ reason: `expected ${expected}, computed ${digest}` });
      try {
        await fsyncPath(path);
        await this.install(path, digest); // on failure the bytes stay in uploads/, never half in blobs/
      } catch (e) {
        throw this.noSpace(e);
      }
      this.states.delete(id);
      return { digest, size: info.size };
    } finally {
      this.busy.delete(id);
    }
  }

  async abortUpload(id: string): Promise<void> {
    this.states.delete(id);
    try {
      await unlink(this.uploadPath(id));
    } catch (e) {
      if (!isMissing(e)) throw e;
    }
  }

  async listUploads(): Promise<UploadInfo[]> {
    const out: UploadInfo[] = [];
    for (const name of await readdir(join(this.root, 'uploads'))) {
      if (!UUID.test(name)) continue;
      const info = await this.uploadInfo(name);
      if (info) out.push(info);
    }
    return out;
  }

  async delete(digest: string): Promise<void> {
    try {
      await unlink(this.blobPath(digest));
    } catch (e) {
      if (!isMissing(e)) throw e;
    }
  }

  async *list(): AsyncIterable<BlobInfo> {
    const base = join(this.root, 'blobs');
    for (const algorithm of await readdir(base)) {
      for (const prefix of await readdir(join(base, algorithm))) {
        for (const hex of await readdir(join(base, algorithm, prefix))) {
          const digest = `${algorithm}:${hex}`;
          if (!tryParseDigest(digest)) continue;
          const s = await stat(join(base, algorithm, prefix, hex)).catch(() => undefined);
          if (s) yield { digest, size: s.size };
        }
      }
    }
  }

  async close(): Promise<void> {
    this.states.clear();
  }
}
