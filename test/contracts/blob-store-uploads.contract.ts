// The BlobStore contract's upload-session part (startUpload … commitUpload), run by blob-store.contract.ts.
import { beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { BlobStore } from '../../src/ports/blob-store.ts';
import type { BlobContractContext } from './blob-store.contract.ts';
import { absent, bytes, failingSource, sha256, sha512, slowSource, source, wharfError } from './support.ts';

export function blobUploadContract(ctx: BlobContractContext): void {
  describe('uploads', () => {
    let store: BlobStore;
    beforeEach(() => { store = ctx.store; });
    const { uploads, expectBlob, snapshot } = ctx;

    test('appended chunks commit to a sha256 blob and close the session', async () => {
      const id = randomUUID();
      const [a, b] = [bytes(300_000), bytes(5)];
      await store.startUpload(id);
      const info = await store.uploadInfo(id);
      assert.equal(info?.id, id);
      assert.equal(info?.size, 0);
      assert.ok(info?.updatedAt instanceof Date);
      assert.equal(await store.appendUpload(id, source(a, 10_000), 0), a.length);
      assert.equal(await store.appendUpload(id, source(b), a.length), a.length + 5);
      assert.equal((await store.uploadInfo(id))?.size, a.length + 5);
      const all = Buffer.concat([a, b]);
      assert.deepEqual(await store.commitUpload(id, sha256(all)), { digest: sha256(all), size: all.length });
      await expectBlob(sha256(all), all);
      assert.equal(await store.uploadInfo(id), undefined);
      assert.deepEqual(await uploads(), []);
      await assert.rejects(store.commitUpload(id, sha256(all)), wharfError('BLOB_UPLOAD_UNKNOWN'));
    });

    test('commit verifies and stores sha512 digests, and an empty upload is the empty blob', async () => {
      const [id, id2] = [randomUUID(), randomUUID()];
      const b = bytes(1234);
      await store.startUpload(id);
      await store.appendUpload(id, source(b), 0);
      assert.deepEqual(await store.commitUpload(id, sha512(b)), { digest: sha512(b), size: 1234 });
      await expectBlob(sha512(b), b);
      await store.startUpload(id2);
      const empty = Buffer.alloc(0);
      assert.deepEqual(await store.commitUpload(id2, sha256(empty)), { digest: sha256(empty), size: 0 });
    });

    test('append at a wrong offset throws 416 and appends nothing', async () => {
      const id = randomUUID();
      const b = bytes(100);
      await store.startUpload(id);
      await assert.rejects(store.appendUpload(id, source(b), 1), wharfError('BLOB_UPLOAD_INVALID', 416));
      await store.appendUpload(id, source(b), 0);
      for (const offset of [0, 99, 101, 1000]) {
        await assert.rejects(store.appendUpload(id, source(bytes(10)), offset), wharfError('BLOB_UPLOAD_INVALID', 416));
      }
      assert.equal((await store.uploadInfo(id))?.size, 100);
      assert.deepEqual(await store.commitUpload(id, sha256(b)), { digest: sha256(b), size: 100 });
    });

    test('concurrent appends to one session are rejected or serialised, never interleaved', async () => {
      for (const secondOffset of ['same', 'next'] as const) {
        const id = randomUUID();
        const [a, b] = [Buffer.alloc(256 * 1024, 0x61), Buffer.alloc(256 * 1024, 0x62)];
        await store.startUpload(id);
        const res = await Promise.allSettled([
          store.appendUpload(id, slowSource(a), 0),
          store.appendUpload(id, slowSource(b), secondOffset === 'same' ? 0 : a.length),
        ]);
        const ok = res.map((r) => r.status === 'fulfilled');
        assert.ok(ok.some(Boolean), `one append must succeed: ${JSON.stringify(res)}`);
        let expected: Buffer;
        if (ok[0] && ok[1]) {
          assert.equal(secondOffset, 'next', 'two appends at offset 0 cannot both succeed');
          expected = Buffer.concat([a, b]);
        } else expected = ok[0] ? a : b;
        if (!ok[0] && secondOffset === 'next') assert.fail('an append at offset a.length cannot succeed alone');
        assert.equal((await store.uploadInfo(id))?.size, expected.length);
        assert.deepEqual(await store.commitUpload(id, sha256(expected)), { digest: sha256(expected), size: expected.length });
      }
    });

    test('an append whose source fails keeps a prefix from which the client can resume', async () => {
      const id = randomUUID();
      const b = bytes(200_000);
      await store.startUpload(id);
      await assert.rejects(store.appendUpload(id, failingSource(b.subarray(0, 120_000)), 0));
      const kept = (await store.uploadInfo(id))?.size;
      assert.ok(kept !== undefined && kept <= 120_000, `kept ${kept} bytes`);
      assert.equal(await store.appendUpload(id, source(b.subarray(kept)), kept), b.length);
      assert.deepEqual(await store.commitUpload(id, sha256(b)), { digest: sha256(b), size: b.length });
    });

    test('commit with a wrong digest throws DIGEST_INVALID, stores nothing and keeps the session', async () => {
      const id = randomUUID();
      const b = bytes(5000);
      await store.startUpload(id);
      await store.appendUpload(id, source(b), 0);
      const before = await snapshot();
      const wrong = absent();
      await assert.rejects(store.commitUpload(id, wrong), wharfError('DIGEST_INVALID'));
      await assert.rejects(store.commitUpload(id, sha512(bytes(1))), wharfError('DIGEST_INVALID'));
      assert.equal(await store.stat(wrong), undefined);
      assert.equal(await store.stat(sha256(b)), undefined);
      assert.deepEqual(await snapshot(), before);
      assert.equal((await store.uploadInfo(id))?.size, 5000);
      assert.deepEqual(await store.commitUpload(id, sha256(b)), { digest: sha256(b), size: 5000 });
    });

    test('commit of an unknown session throws BLOB_UPLOAD_UNKNOWN', async () => {
      await assert.rejects(store.commitUpload(randomUUID(), absent()), wharfError('BLOB_UPLOAD_UNKNOWN'));
      assert.equal(await store.uploadInfo(randomUUID()), undefined);
    });

    test('commit of content that already exists succeeds and closes the session', async () => {
      const id = randomUUID();
      const b = bytes(777);
      await store.put(source(b));
      await store.startUpload(id);
      await store.appendUpload(id, source(b), 0);
      assert.deepEqual(await store.commitUpload(id, sha256(b)), { digest: sha256(b), size: 777 });
      assert.equal(await store.uploadInfo(id), undefined);
      await expectBlob(sha256(b), b);
    });

    test('abort removes the session and its bytes; unknown ids are ignored', async () => {
      const id = randomUUID();
      const b = bytes(100);
      await store.startUpload(id);
      await store.appendUpload(id, source(b), 0);
      await store.abortUpload(id);
      assert.equal(await store.uploadInfo(id), undefined);
      assert.deepEqual(await uploads(), []);
      await assert.rejects(store.commitUpload(id, sha256(b)), wharfError('BLOB_UPLOAD_UNKNOWN'));
      await store.abortUpload(id);
      await store.abortUpload(randomUUID());
      assert.equal(await store.stat(sha256(b)), undefined);
    });

    test('listUploads reports every open session with its size', async () => {
      const [x, y] = [randomUUID(), randomUUID()];
      await store.startUpload(x);
      await store.startUpload(y);
      await store.appendUpload(y, source(bytes(42)), 0);
      assert.deepEqual(await uploads(), [`${x}:0`, `${y}:42`].sort());
      for (const u of await store.listUploads()) assert.ok(u.updatedAt instanceof Date);
    });

    test('a new store instance on the same storage continues an upload where it was', async (t) => {
      if (!ctx.fx.reopen) { t.skip('fixture has no reopen()'); return; }
      const [id, id2] = [randomUUID(), randomUUID()];
      const [a, b, kept] = [bytes(150_000), bytes(50_000), bytes(300)];
      await store.put(source(kept));
      await store.startUpload(id);
      await store.appendUpload(id, source(a), 0);
      await store.startUpload(id2);
      await store.appendUpload(id2, source(a), 0);
      await store.close();
      const again = await ctx.fx.reopen();
      ctx.opened.push(again);
      assert.equal((await again.uploadInfo(id))?.size, a.length);
      assert.deepEqual((await again.listUploads()).map((u) => `${u.id}:${u.size}`).sort(), [`${id}:${a.length}`, `${id2}:${a.length}`].sort());
      await assert.rejects(again.appendUpload(id, source(b), 0), wharfError('BLOB_UPLOAD_INVALID', 416));
      assert.equal(await again.appendUpload(id, source(b), a.length), a.length + b.length);
      const all = Buffer.concat([a, b]);
      assert.deepEqual(await again.commitUpload(id, sha256(all)), { digest: sha256(all), size: all.length });
      assert.deepEqual(await again.commitUpload(id2, sha256(a)), { digest: sha256(a), size: a.length });
      await expectBlob(sha256(all), all, again);
      await expectBlob(sha256(a), a, again);
      await expectBlob(sha256(kept), kept, again);
    });
  });
}
