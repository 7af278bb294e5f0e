// Runs the BlobStore contract against the filesystem adapter, plus checks of its on-disk tree.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFsBlobStore } from '../../src/adapters/blob-fs/index.ts';
import { blobStoreContract } from './blob-store.contract.ts';
import { absent, bytes, failingSource, sha256, source } from './support.ts';

const tempRoot = () => mkdtempSync(join(tmpdir(), 'wharf-blobfs-'));

blobStoreContract('fs', async () => {
  const root = tempRoot();
  return {
    store: await openFsBlobStore(root),
    reopen: () => openFsBlobStore(root),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

describe('fs blob store on disk', () => {
  test('failed pushes leave no file behind in tmp/ or blobs/', async () => {
    const root = tempRoot();
    const store = await openFsBlobStore(root);
    try {
      const b = bytes(100_000);
      await assert.rejects(store.put(source(b, 1000), absent()));
      await assert.rejects(store.put(source(b), sha256(b), 1));
      await assert.rejects(store.put(failingSource(b)));
      assert.deepEqual(readdirSync(join(root, 'tmp')), []);
      assert.deepEqual(readdirSync(join(root, 'blobs')), []);
    } finally {
      await store.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  test('committed blobs live at blobs/<alg>/<hex[0:2]>/<hex> with exactly their bytes', async () => {
    const root = tempRoot();
    const store = await openFsBlobStore(root);
    try {
      const b = bytes(3000);
      const { digest } = await store.put(source(b));
      const hex = digest.slice('sha256:'.length);
      assert.ok(readFileSync(join(root, 'blobs', 'sha256', hex.slice(0, 2), hex)).equals(b));
    } finally {
      await store.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  test('opening the store empties tmp/ (monolithic pushes cut off by a crash) and keeps uploads', async () => {
    const root = tempRoot();
    const first = await openFsBlobStore(root);
    const id = randomUUID();
    await first.startUpload(id);
    await first.appendUpload(id, source(bytes(10)), 0);
    await first.close();
    writeFileSync(join(root, 'tmp', randomUUID()), 'half a blob');
    const again = await openFsBlobStore(root);
    try {
      assert.deepEqual(readdirSync(join(root, 'tmp')), []);
      assert.equal((await again.uploadInfo(id))?.size, 10);
    } finally {
      await again.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  test('traversing digests and upload ids never touch files outside the store', async () => {
    const parent = tempRoot();
    const root = join(parent, 'store');
    mkdirSync(join(parent, 'etc'), { recursive: true });
    writeFileSync(join(parent, 'etc', 'passwd'), 'sentinel');
    writeFileSync(join(parent, 'victim'), 'sentinel');
    const store = await openFsBlobStore(root);
    try {
      for (const d of ['sha256:../../etc', 'sha256:../../../etc/passwd', 'sha256:../../../victim']) {
        await store.delete(d).catch(() => {});
        await store.stat(d).catch(() => {});
      }
      for (const id of ['../victim', '../../victim', '../etc/passwd', '../../etc/passwd']) {
        await store.abortUpload(id).catch(() => {});
        await store.startUpload(id).catch(() => {});
      }
      assert.equal(readFileSync(join(parent, 'victim'), 'utf8'), 'sentinel');
      assert.equal(readFileSync(join(parent, 'etc', 'passwd'), 'utf8'), 'sentinel');
      assert.ok(!existsSync(join(root, 'victim')));
      assert.deepEqual(readdirSync(join(root, 'uploads')), []);
    } finally {
      await store.close();
      await rm(parent, { recursive: true, force: true });
    }
  });
});
