// Runs the BlobStore contract against the filesystem adapter, plus checks of its on-disk tree.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { finished } from 'node:stream/promises';
import { join } from 'node:path';
import { openFsBlobStore } from '../../src/adapters/blob-fs/index.ts';
import { blobStoreContract } from './blob-store.contract.ts';
import { absent, bytes, failingSource, sha256, source, wharfError } from './support.ts';
import type { StorageHealth } from '../../src/ports/storage-health.ts';

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

  test('a full disk during an append throws StorageFull, tells StorageHealth, drains the source, and recovers', async () => {
    const root = tempRoot();
    const calls: string[] = [];
    const health: StorageHealth = { full: (store, reason) => calls.push(`full ${store} ${reason}`), writable: (store) => calls.push(`writable ${store}`) };
    const store = await openFsBlobStore(root, { health });
    try {
      const id = randomUUID();
      await store.startUpload(id);
      // /dev/full answers every write with ENOSPC: the session's file now sits on a "full disk".
      const file = join(root, 'uploads', id);
      rmSync(file);
      symlinkSync('/dev/full', file);
      const b = bytes(12 * 1024 * 1024); // more than the writes kept in flight: the failure stops the reading midway
      const src = source(b, 64 * 1024);
      await assert.rejects(store.appendUpload(id, src, 0), wharfError('UNAVAILABLE', 507));
      assert.deepEqual(calls, ['full blob store ENOSPC']);
      await finished(src); // rejects (premature close) had the store destroyed the source instead of draining it
      assert.ok(src.readableEnded, 'the rest of the source was read and discarded');
      // Space returns: the same append succeeds, and StorageHealth hears of it.
      rmSync(file);
      writeFileSync(file, '');
      assert.equal(await store.appendUpload(id, source(b, 64 * 1024), 0), b.length);
      assert.deepEqual(calls, ['full blob store ENOSPC', 'writable blob store']);
      await store.commitUpload(id, sha256(b));
      assert.ok(readFileSync(join(root, 'blobs', 'sha256', sha256(b).slice(7, 9), sha256(b).slice(7))).equals(b));
    } finally {
      await store.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
