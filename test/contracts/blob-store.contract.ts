// The BlobStore port contract (src/ports/blob-store.ts), registered as node:test tests for one adapter.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import { Writable } from 'node:stream';
import type { BlobInfo, BlobStore } from '../../src/ports/blob-store.ts';
import { blobUploadContract } from './blob-store-uploads.contract.ts';
import { absent, bytes, collect, failingSource, sha256, sha512, sleep, source, wharfError } from './support.ts';

/**
 * A sink that copies what it is given (the writer may reuse a buffer once its callback ran),
 * optionally slowly, failing at one write, or closing itself (as a client that goes away) at one.
 */
class CopyingSink extends Writable {
  private readonly parts: Buffer[] = [];
  private writes = 0;
  constructor(private readonly delayMs = 0, private readonly failAt = -1, private readonly closeAt = -1) {
    super({ highWaterMark: 1024 });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (++this.writes === this.failAt) return cb(new Error('sink refused the write'));
    if (this.writes === this.closeAt) {
      this.destroy(); // the write never completes, as on a socket closed under it
      return;
    }
    const copy = Buffer.from(chunk);
    const done = () => { this.parts.push(copy); cb(); };
    if (this.delayMs > 0) setTimeout(done, this.delayMs);
    else done();
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/**
 * This process's descriptors that refer to a file named after `digest`'s hex (content-addressed
 * stores name files so); other descriptors, which other tests or the runtime open and close at
 * any time, are not counted.
 */
function descriptorsOf(digest: string): string[] {
  const hex = digest.slice(digest.indexOf(':') + 1);
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed meanwhile (or the directory's own descriptor)
    }
    if (target.includes(hex)) out.push(`${fd} -> ${target}`);
  }
  return out;
}

/** Waits (up to a generous deadline, for a busy machine) until `digest`'s file is not open. */
async function expectClosed(digest: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (descriptorsOf(digest).length > 0 && Date.now() < deadline) await sleep(10);
  assert.deepEqual(descriptorsOf(digest), [], 'no file descriptor of the blob left open');
}

export interface BlobStoreFixture {
  store: BlobStore;
  cleanup(): Promise<void>;
  /** Opens a brand-new instance on the same storage (a restart). Without it, restart tests are skipped. */
  reopen?(): Promise<BlobStore>;
}

/** What the contract's parts share: the current test's store and observation helpers. */
export interface BlobContractContext {
  readonly store: BlobStore;
  readonly fx: BlobStoreFixture;
  /** Stores to close after the test (add reopened instances). */
  readonly opened: BlobStore[];
  /** `id:size` of every upload session, sorted. */
  uploads(): Promise<string[]>;
  /** Asserts that `digest` is committed in `s` with exactly `content`. */
  expectBlob(digest: string, content: Buffer, s?: BlobStore): Promise<void>;
  /** Every committed blob and upload session: equal snapshots prove a failed call stored nothing. */
  snapshot(): Promise<unknown>;
}

export function blobStoreContract(name: string, make: () => Promise<BlobStoreFixture>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let fx: BlobStoreFixture;
    let store: BlobStore;
    const opened: BlobStore[] = [];

    beforeEach(async () => { fx = await make(); store = fx.store; opened.push(store); });
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close().catch(() => {});
      await fx.cleanup();
    });

    const listed = async (s: BlobStore = store): Promise<BlobInfo[]> => {
      const out: BlobInfo[] = [];
      for await (const b of s.list()) out.push(b);
      return out.sort((a, b) => a.digest.localeCompare(b.digest));
    };
    const uploads = async () => (await store.listUploads()).map((u) => `${u.id}:${u.size}`).sort();
    const expectBlob = async (digest: string, content: Buffer, s: BlobStore = store) => {
      assert.deepEqual(await s.stat(digest), { digest, size: content.length });
      assert.ok((await collect(await s.read(digest))).equals(content), `bytes of ${digest}`);
    };
    const snapshot = async () => ({ blobs: await listed(), uploads: await uploads() });
    const ctx: BlobContractContext = { get store() { return store; }, get fx() { return fx; }, opened, uploads, expectBlob, snapshot };

    describe('put', () => {
      test('without an expected digest stores the bytes under their sha256 digest', async () => {
        const b = bytes(1000);
        assert.deepEqual(await store.put(source(b)), { digest: sha256(b), size: 1000 });
        await expectBlob(sha256(b), b);
      });

      test('with the matching digest and size stores a many-chunk stream', async () => {
        const b = bytes(3 * 1024 * 1024 + 17);
        assert.deepEqual(await store.put(source(b, 65_536), sha256(b), b.length), { digest: sha256(b), size: b.length });
        await expectBlob(sha256(b), b);
      });

      test('with a sha512 digest stores the blob under that digest', async () => {
        const b = bytes(500);
        assert.deepEqual(await store.put(source(b), sha512(b)), { digest: sha512(b), size: 500 });
        await expectBlob(sha512(b), b);
        assert.equal(await store.stat(sha256(b)), undefined);
      });

      test('stores the empty blob', async () => {
        const empty = Buffer.alloc(0);
        assert.deepEqual(await store.put(source(empty), sha256(empty), 0), { digest: sha256(empty), size: 0 });
        await expectBlob(sha256(empty), empty);
      });

      test('with a wrong digest throws DIGEST_INVALID and stores nothing', async () => {
        const before = await snapshot();
        const b = bytes(70_000);
        const wrong = absent();
        await assert.rejects(store.put(source(b, 4096), wrong), wharfError('DIGEST_INVALID'));
        assert.equal(await store.stat(wrong), undefined);
        assert.equal(await store.stat(sha256(b)), undefined);
        assert.deepEqual(await snapshot(), before);
      });

      test('with a wrong size throws SIZE_INVALID and stores nothing, even when the digest matches', async () => {
        const before = await snapshot();
        const b = bytes(2048);
        await assert.rejects(store.put(source(b), sha256(b), 2047), wharfError('SIZE_INVALID'));
        await assert.rejects(store.put(source(b), undefined, 4096), wharfError('SIZE_INVALID'));
        assert.equal(await store.stat(sha256(b)), undefined);
        assert.deepEqual(await snapshot(), before);
      });

      test('from a source that fails midway rejects and stores nothing', async () => {
        const before = await snapshot();
        const b = bytes(10_000);
        await assert.rejects(store.put(failingSource(b)));
        assert.equal(await store.stat(sha256(b)), undefined);
        assert.deepEqual(await snapshot(), before);
      });

      test('of content that already exists succeeds and keeps one intact copy', async () => {
        const b = bytes(4096);
        await store.put(source(b), sha256(b));
        assert.deepEqual(await store.put(source(b, 100), sha256(b), b.length), { digest: sha256(b), size: 4096 });
        assert.deepEqual(await store.put(source(b)), { digest: sha256(b), size: 4096 });
        await expectBlob(sha256(b), b);
        assert.deepEqual(await listed(), [{ digest: sha256(b), size: 4096 }]);
      });
    });

    describe('read', () => {
      test('streams inclusive byte ranges exactly', async () => {
        const b = bytes(100_000);
        await store.put(source(b));
        for (const [start, end] of [[0, 0], [0, 99_999], [10, 19], [99_999, 99_999], [65_530, 70_000]]) {
          const got = await collect(await store.read(sha256(b), { start, end }));
          assert.ok(got.equals(b.subarray(start, end + 1)), `range ${start}-${end}`);
        }
      });

      test('writeTo (when offered) sends whole blobs and ranges exactly, to a slow sink too', async () => {
        const b = bytes(5 * 1024 * 1024 + 123); // several buffers and a short last one
        await store.put(source(b, 64 * 1024));
        const probe = await store.read(sha256(b));
        if (!probe.writeTo) { probe.destroy(); return; } // optional fast path: nothing to check
        await probe.writeTo(new CopyingSink());
        const whole = new CopyingSink(2);
        await (await store.read(sha256(b))).writeTo!(whole);
        assert.ok(whole.bytes().equals(b), 'whole blob through a slow sink');
        for (const [start, end] of [[0, 0], [1024 * 1024 - 1, 1024 * 1024], [10, 3 * 1024 * 1024], [b.length - 1, b.length - 1]]) {
          const sink = new CopyingSink();
          await (await store.read(sha256(b), { start, end })).writeTo!(sink);
          assert.ok(sink.bytes().equals(b.subarray(start, end + 1)), `range ${start}-${end}`);
        }
      });

      test('writeTo rejects when the sink fails or closes midway, and closes the blob file', async () => {
        const b = bytes(6 * 1024 * 1024);
        await store.put(source(b));
        const probe = await store.read(sha256(b));
        if (!probe.writeTo) { probe.destroy(); return; }
        await probe.writeTo(new CopyingSink());
        await expectClosed(sha256(b));
        await assert.rejects((await store.read(sha256(b))).writeTo!(new CopyingSink(0, 2)), /sink refused/);
        await expectClosed(sha256(b));
        await assert.rejects((await store.read(sha256(b))).writeTo!(new CopyingSink(1, -1, 2)));
        await expectClosed(sha256(b));
      });

      test('of a missing blob throws BLOB_UNKNOWN and stat is undefined', async () => {
        const d = absent();
        await assert.rejects(store.read(d), wharfError('BLOB_UNKNOWN'));
        await assert.rejects(store.read(d, { start: 0, end: 0 }), wharfError('BLOB_UNKNOWN'));
        assert.equal(await store.stat(d), undefined);
      });
    });

    blobUploadContract(ctx);

    describe('delete and list', () => {
      test('delete removes a blob; absent blobs are ignored', async () => {
        const [a, b] = [bytes(10), bytes(20)];
        await store.put(source(a));
        await store.put(source(b));
        await store.delete(sha256(a));
        await store.delete(sha256(a));
        await store.delete(absent());
        assert.equal(await store.stat(sha256(a)), undefined);
        await assert.rejects(store.read(sha256(a)), wharfError('BLOB_UNKNOWN'));
        await expectBlob(sha256(b), b);
      });

      test('list yields every committed blob with its size, and no uploads or failed pushes', async () => {
        const blobs = [bytes(1), bytes(1000), bytes(65_537)];
        for (const b of blobs) await store.put(source(b));
        await store.put(source(blobs[0]), sha512(blobs[0]));
        const id = randomUUID();
        await store.startUpload(id);
        await store.appendUpload(id, source(bytes(99)), 0);
        await store.put(source(bytes(50)), absent()).catch(() => {});
        const expected = [...blobs.map((b) => ({ digest: sha256(b), size: b.length })), { digest: sha512(blobs[0]), size: 1 }];
        assert.deepEqual(await listed(), expected.sort((x, y) => x.digest.localeCompare(y.digest)));
      });
    });

    describe('untrusted identifiers', () => {
      const badDigests = ['sha256:../../etc', 'sha256:../../../../../../etc/passwd', '../x', 'sha256:' + 'A'.repeat(64),
        'sha256:abc', 'md5:d41d8cd98f00b204e9800998ecf8427e', 'sha256:' + 'a'.repeat(63) + '/', ''];

      test('digests that are not valid are rejected and never reach storage', async () => {
        const keep = bytes(64);
        await store.put(source(keep));
        const before = await snapshot();
        for (const d of badDigests) {
          await assert.rejects(store.stat(d), `stat(${JSON.stringify(d)})`);
          await assert.rejects(store.read(d), `read(${JSON.stringify(d)})`);
          await assert.rejects(store.delete(d), `delete(${JSON.stringify(d)})`);
          await assert.rejects(store.put(source(bytes(8)), d), `put(…, ${JSON.stringify(d)})`);
          const id = randomUUID();
          await store.startUpload(id);
          await assert.rejects(store.commitUpload(id, d), `commitUpload(…, ${JSON.stringify(d)})`);
          await store.abortUpload(id);
        }
        assert.deepEqual(await snapshot(), before);
        await expectBlob(sha256(keep), keep);
      });

      test('upload ids that are not UUIDs are rejected and never reach storage', async () => {
        const keep = bytes(64);
        await store.put(source(keep));
        const hex = sha256(keep).slice(7);
        const badIds = ['../../etc/passwd', '..', '.', '', 'abc', `../blobs/sha256/${hex.slice(0, 2)}/${hex}`,
          `${randomUUID()}/../../x`, `${randomUUID()}\0`, ' ' + randomUUID()];
        const before = await snapshot();
        for (const id of badIds) {
          const what = JSON.stringify(id);
          await assert.rejects(store.startUpload(id), `startUpload(${what})`);
          await assert.rejects(store.appendUpload(id, source(bytes(8)), 0), `appendUpload(${what})`);
          await assert.rejects(store.commitUpload(id, sha256(keep)), `commitUpload(${what})`);
          const info = await store.uploadInfo(id).catch(() => undefined);
          assert.equal(info, undefined, `uploadInfo(${what})`);
          await store.abortUpload(id).catch(() => {});
        }
        assert.deepEqual(await snapshot(), before);
        await expectBlob(sha256(keep), keep);
      });
    });
  });
}
