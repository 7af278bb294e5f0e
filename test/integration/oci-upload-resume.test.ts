// OCI Distribution API: an upload session outlives a restart of the Wharf process (graceful or killed).
// Each test restarts the server on the same data dir, so this file starts two servers per test.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startWharf, type RunningWharf, authedFetch as fetch } from '../helpers/server.ts';
import {
  MT, expectStatus, makeImage, pushManifest, randomBlob, resolveLocation, sha256, startUpload, withQuery,
} from '../helpers/http.ts';

const REPO = 'resume/app';
const OCTET = { 'content-type': 'application/octet-stream' };

describe('OCI upload resume across restarts', () => {
  const running: RunningWharf[] = [];
  const dirs: string[] = [];
  after(async () => {
    for (const w of running) await w.stop().catch(() => {});
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** The upload URL's path and query moved onto another server base (the port changes on restart). */
  function rebase(loc: string, base: string): string {
    const u = new URL(loc);
    return new URL(u.pathname + u.search, base).toString();
  }

  async function resumeAfter(how: 'stop' | 'kill'): Promise<void> {
    const first = await startWharf({ repositories: [REPO] });
    running.push(first);
    dirs.push(first.dataDir);
    const bytes = randomBlob(4096);
    let loc = await startUpload(first.url, REPO);
    const r1 = await fetch(loc, { method: 'PATCH', headers: { ...OCTET, 'content-range': '0-1499' }, body: bytes.subarray(0, 1500) });
    await expectStatus(r1, 202);
    assert.equal(r1.headers.get('range'), '0-1499');
    loc = resolveLocation(first.url, r1);
    const uuid = r1.headers.get('docker-upload-uuid');
    const img = await makeImage(first.url, REPO);
    await pushManifest(first.url, REPO, 'before-restart', img.body, MT.ociManifest);

    if (how === 'stop') await first.stop({ keepData: true });
    else await first.kill();

    const second = await startWharf({ dataDir: first.dataDir });
    running.push(second);
    loc = rebase(loc, second.url);
    const kept = await fetch(`${second.url}/v2/${REPO}/manifests/before-restart`);
    await expectStatus(kept, 200);
    assert.equal(await kept.text(), img.body, 'a manifest pushed before the restart is still served');
    const status = await fetch(loc);
    await status.arrayBuffer();
    assert.equal(status.status, 204, `upload status after ${how}`);
    assert.equal(status.headers.get('range'), '0-1499');
    if (uuid) assert.equal(status.headers.get('docker-upload-uuid'), uuid);

    const r2 = await fetch(loc, { method: 'PATCH', headers: { ...OCTET, 'content-range': '1500-4095' }, body: bytes.subarray(1500) });
    await expectStatus(r2, 202);
    assert.equal(r2.headers.get('range'), '0-4095');
    loc = resolveLocation(second.url, r2);
    const d = sha256(bytes);
    const put = await fetch(withQuery(loc, { digest: d }), { method: 'PUT' });
    await expectStatus(put, 201);
    const get = await fetch(`${second.url}/v2/${REPO}/blobs/${d}`);
    await expectStatus(get, 200);
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), bytes);
    await second.stop();
  }

  test('resumes a chunked upload after a graceful restart', async () => {
    await resumeAfter('stop');
  });

  test('resumes a chunked upload after the process is killed', async () => {
    await resumeAfter('kill');
  });
});
