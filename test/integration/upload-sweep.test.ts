// Abandoned uploads are deleted after the configured time; live ones are kept.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { buildServices, openStores } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';

test('sweepAbandonedUploads removes sessions older than the TTL and orphaned files, keeps fresh ones', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-sweep-'));
  const config = loadConfig({ env: {}, flags: { dataDir } });
  let now = Date.now();
  const clock = { now: () => new Date(now) };
  const stores = await openStores(config);
  const s = buildServices(config, stores, clock);
  try {
    await s.repositories.create('sweep/me');
    const old = await s.blobs.startUpload('sweep/me');
    await s.blobs.append('sweep/me', old.id, Readable.from([Buffer.from('abc')]));
    // An upload file whose database row was lost (crash between the two writes).
    await stores.blobs.startUpload('0b7e8a52-5a4c-4a53-9a51-2d6f3b1c0e11');
    now += 2 * 3600_000;
    const fresh = await s.blobs.startUpload('sweep/me');

    assert.equal(await s.blobs.sweepAbandonedUploads(3600_000), 2);
    await assert.rejects(s.blobs.upload('sweep/me', old.id), (e: any) => e.spec.oci === 'BLOB_UPLOAD_UNKNOWN');
    assert.equal((await s.blobs.upload('sweep/me', fresh.id)).size, 0);
    assert.deepEqual(readdirSync(join(dataDir, 'uploads')), [fresh.id]);
    assert.equal(await s.blobs.sweepAbandonedUploads(3600_000), 0);
  } finally {
    await stores.meta.close();
  }
});
