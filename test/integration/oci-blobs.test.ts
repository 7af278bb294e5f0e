// OCI Distribution API: the base endpoint and blob pulls (GET/HEAD, ranges, DELETE) against a real Wharf.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { request } from 'node:http';
import { authHeaderFor, startWharf, type RunningWharf, authedFetch as fetch } from '../helpers/server.ts';
import { absentDigest, expectOciError, expectStatus, pushBlob, randomBlob } from '../helpers/http.ts';

const REPO = 'blobs/app';
const OTHER = 'blobs/other';

describe('OCI blobs', () => {
  let w: RunningWharf;
  let base: string;
  const bytes = randomBlob(100);
  let digest: string;

  before(async () => {
    w = await startWharf({ repositories: [REPO, OTHER] });
    base = w.url;
    digest = await pushBlob(base, REPO, bytes);
  });
  after(async () => { await w?.stop(); });

  test('GET /v2/ answers 200 with the API version header', async () => {
    const res = await fetch(`${base}/v2/`);
    await res.arrayBuffer();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
  });

  test('GET a blob returns the exact bytes with length, digest, ETag and Accept-Ranges', async () => {
    const res = await fetch(`${base}/v2/${REPO}/blobs/${digest}`);
    await expectStatus(res, 200);
    assert.equal(res.headers.get('content-length'), String(bytes.length));
    assert.equal(res.headers.get('docker-content-digest'), digest);
    assert.equal(res.headers.get('etag'), `"${digest}"`);
    assert.equal(res.headers.get('accept-ranges'), 'bytes');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
  });

  test('HEAD a blob returns the same headers and no body', async () => {
    const res = await fetch(`${base}/v2/${REPO}/blobs/${digest}`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), String(bytes.length));
    assert.equal(res.headers.get('docker-content-digest'), digest);
    assert.equal(res.headers.get('etag'), `"${digest}"`);
    assert.equal(res.headers.get('accept-ranges'), 'bytes');
    assert.equal((await res.arrayBuffer()).byteLength, 0);
  });

  test('serves a byte range with 206 and Content-Range', async () => {
    const res = await fetch(`${base}/v2/${REPO}/blobs/${digest}`, { headers: { range: 'bytes=0-9' } });
    await expectStatus(res, 206);
    assert.equal(res.headers.get('content-range'), `bytes 0-9/${bytes.length}`);
    assert.equal(res.headers.get('content-length'), '10');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes.subarray(0, 10));
  });

  test('serves a range in the middle of the blob', async () => {
    const res = await fetch(`${base}/v2/${REPO}/blobs/${digest}`, { headers: { range: 'bytes=40-59' } });
    await expectStatus(res, 206);
    assert.equal(res.headers.get('content-range'), `bytes 40-59/${bytes.length}`);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes.subarray(40, 60));
  });

  test('serves an open-ended range (bytes=5-) up to the end', async () => {
    const res = await fetch(`${base}/v2/${REPO}/blobs/${digest}`, { headers: { range: 'bytes=5-' } });
    await expectStatus(res, 206);
    assert.equal(res.headers.get('content-range'), `bytes 5-${bytes.length - 1}/${bytes.length}`);
    assert.equal(res.headers.get('content-length'), String(bytes.length - 5));
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes.subarray(5));
  });

  test('serves a suffix range (bytes=-3) as the last bytes', async () => {
    const res = await fetch(`${base}/v2/${REPO}/blobs/${digest}`, { headers: { range: 'bytes=-3' } });
    await expectStatus(res, 206);
    assert.equal(res.headers.get('content-range'), `bytes ${bytes.length - 3}-${bytes.length - 1}/${bytes.length}`);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes.subarray(bytes.length - 3));
  });

  test('clamps a range whose end is past the blob end', async () => {
    const res = await fetch(`${base}/v2/${REPO}/blobs/${digest}`, { headers: { range: 'bytes=90-1000' } });
    await expectStatus(res, 206);
    assert.equal(res.headers.get('content-range'), `bytes 90-99/${bytes.length}`);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes.subarray(90));
  });

  test('answers 416 with Content-Range bytes */size for a range starting at the end', async () => {
    const res = await fetch(`${base}/v2/${REPO}/blobs/${digest}`, { headers: { range: `bytes=${bytes.length}-` } });
    await res.arrayBuffer();
    assert.equal(res.status, 416);
    assert.equal(res.headers.get('content-range'), `bytes */${bytes.length}`);
  });

  test('answers 404 BLOB_UNKNOWN for a blob that was never pushed', async () => {
    const res = await fetch(`${base}/v2/${REPO}/blobs/${absentDigest()}`);
    await expectOciError(res, 404, 'BLOB_UNKNOWN');
  });

  test('answers HEAD for an unknown blob with 404 and no body', async () => {
    const res = await fetch(`${base}/v2/${REPO}/blobs/${absentDigest()}`, { method: 'HEAD' });
    assert.equal(res.status, 404);
    assert.equal((await res.arrayBuffer()).byteLength, 0);
  });

  test('does not serve a blob through a repository it was not pushed to', async () => {
    const res = await fetch(`${base}/v2/${OTHER}/blobs/${digest}`);
    await expectOciError(res, 404, 'BLOB_UNKNOWN');
  });

  test('answers 400 DIGEST_INVALID for a malformed digest', async () => {
    for (const bad of ['sha256:xyz', 'sha256:' + 'a'.repeat(63), 'notadigest', 'sha256:' + 'A'.repeat(64)]) {
      const res = await fetch(`${base}/v2/${REPO}/blobs/${bad}`);
      await expectOciError(res, 400, 'DIGEST_INVALID');
    }
  });

  test('answers 404 NAME_UNKNOWN for a blob in a repository that does not exist', async () => {
    const res = await fetch(`${base}/v2/blobs/missing/blobs/${digest}`);
    const errs = await expectOciError(res, 404, 'NAME_UNKNOWN');
    assert.match(errs[0].message, /does not exist in the registry/);
  });

  test('deletes a blob with 202, after which it is 404 BLOB_UNKNOWN', async () => {
    const doomed = randomBlob(33);
    const d = await pushBlob(base, REPO, doomed);
    const del = await fetch(`${base}/v2/${REPO}/blobs/${d}`, { method: 'DELETE' });
    await del.arrayBuffer();
    assert.equal(del.status, 202);
    await expectOciError(await fetch(`${base}/v2/${REPO}/blobs/${d}`), 404, 'BLOB_UNKNOWN');
    const head = await fetch(`${base}/v2/${REPO}/blobs/${d}`, { method: 'HEAD' });
    await head.arrayBuffer();
    assert.equal(head.status, 404);
  });

  test('a download the client drops midway leaves no open file, and the next download is whole', async () => {
    const big = randomBlob(12 * 1024 * 1024);
    const d = await pushBlob(base, REPO, big);
    // The server's descriptors on this blob's file (sockets and other files come and go, so only it counts).
    const hex = d.slice('sha256:'.length);
    const fds = () => readdirSync(`/proc/${w.proc.pid}/fd`).filter((fd) => {
      try { return readlinkSync(`/proc/${w.proc.pid}/fd/${fd}`).endsWith(`/blobs/sha256/${hex.slice(0, 2)}/${hex}`); } catch { return false; }
    }).length;
    const before = fds();
    assert.equal(before, 0);
    for (let i = 0; i < 3; i++) {
      const url = new URL(`${base}/v2/${REPO}/blobs/${d}`);
      await new Promise<void>((resolve, reject) => {
        const req = request(url, { headers: { authorization: authHeaderFor(base) ?? '' } }, (res) => {
          assert.equal(res.statusCode, 200);
          res.once('data', () => { req.destroy(); resolve(); });
        });
        req.on('error', (e) => (req.destroyed ? resolve() : reject(e)));
        req.end();
      });
    }
    const res = await fetch(`${base}/v2/${REPO}/blobs/${d}`);
    await expectStatus(res, 200);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(big));
    const ranged = await fetch(`${base}/v2/${REPO}/blobs/${d}`, { headers: { range: 'bytes=1048570-3145739' } });
    await expectStatus(ranged, 206);
    assert.ok(Buffer.from(await ranged.arrayBuffer()).equals(big.subarray(1048570, 3145740)));
    // The server closes a dropped download's file when it notices the socket closed: give a busy machine time.
    for (const deadline = Date.now() + 10_000; fds() > before && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
    assert.equal(fds(), before, 'the server closed every blob file');
  });

  test('answers 404 BLOB_UNKNOWN when deleting a blob that is not there', async () => {
    const res = await fetch(`${base}/v2/${REPO}/blobs/${absentDigest()}`, { method: 'DELETE' });
    await expectOciError(res, 404, 'BLOB_UNKNOWN');
  });
});
