// OCI Distribution API: blob uploads (monolithic, streamed, chunked), digests, cancellation and mounts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startWharf, type RunningWharf, authedFetch as fetch } from '../helpers/server.ts';
import {
  expectOciError, expectStatus, locationPath, pushBlob, randomBlob, resolveLocation, sha256, sha512, startUpload, withQuery,
} from '../helpers/http.ts';

const REPO = 'uploads/app';
const MOUNT_TARGET = 'uploads/target';
const OCTET = { 'content-type': 'application/octet-stream' };

describe('OCI blob uploads', () => {
  let w: RunningWharf;
  let base: string;

  before(async () => { w = await startWharf({ repositories: [REPO, MOUNT_TARGET] }); base = w.url; });
  after(async () => { await w?.stop(); });

  async function patch(loc: string, body: Buffer<ArrayBuffer>, range?: string): Promise<Response> {
    return fetch(loc, { method: 'PATCH', headers: { ...OCTET, ...(range ? { 'content-range': range } : {}) }, body });
  }
  async function blobBytes(repo: string, digest: string): Promise<Buffer> {
    const res = await fetch(`${base}/v2/${repo}/blobs/${digest}`);
    await expectStatus(res, 200);
    return Buffer.from(await res.arrayBuffer());
  }

  test('POST opens an upload session with 202, Location, Docker-Upload-UUID and Range 0-0', async () => {
    const res = await fetch(`${base}/v2/${REPO}/blobs/uploads/`, { method: 'POST' });
    await res.arrayBuffer();
    assert.equal(res.status, 202);
    assert.ok(res.headers.get('location'), 'Location header');
    assert.ok(res.headers.get('docker-upload-uuid'), 'Docker-Upload-UUID header');
    assert.equal(res.headers.get('range'), '0-0');
  });

  test('a monolithic POST ?digest= stores the blob and answers 201 with its Location and digest', async () => {
    const bytes = randomBlob(300);
    const d = sha256(bytes);
    const res = await fetch(`${base}/v2/${REPO}/blobs/uploads/?digest=${d}`, { method: 'POST', headers: OCTET, body: bytes });
    await expectStatus(res, 201);
    assert.equal(locationPath(res), `/v2/${REPO}/blobs/${d}`);
    assert.equal(res.headers.get('docker-content-digest'), d);
    assert.deepEqual(await blobBytes(REPO, d), bytes);
  });

  test('POST then a single PUT ?digest= with the bytes completes with 201', async () => {
    const bytes = randomBlob(1000);
    const d = sha256(bytes);
    const loc = await startUpload(base, REPO);
    const put = await fetch(withQuery(loc, { digest: d }), { method: 'PUT', headers: OCTET, body: bytes });
    await expectStatus(put, 201);
    assert.equal(locationPath(put), `/v2/${REPO}/blobs/${d}`);
    assert.equal(put.headers.get('docker-content-digest'), d);
    assert.deepEqual(await blobBytes(REPO, d), bytes);
  });

  test('a streamed PATCH without Content-Range answers 202 with Range 0-<n-1>', async () => {
    const a = randomBlob(100), b = randomBlob(50);
    let loc = await startUpload(base, REPO);
    const r1 = await patch(loc, a);
    await expectStatus(r1, 202);
    assert.equal(r1.headers.get('range'), '0-99');
    assert.ok(r1.headers.get('docker-upload-uuid'));
    loc = resolveLocation(base, r1);
    const r2 = await patch(loc, b);
    await expectStatus(r2, 202);
    assert.equal(r2.headers.get('range'), '0-149');
    loc = resolveLocation(base, r2);
    const all = Buffer.concat([a, b]);
    const put = await fetch(withQuery(loc, { digest: sha256(all) }), { method: 'PUT' });
    await expectStatus(put, 201);
    assert.deepEqual(await blobBytes(REPO, sha256(all)), all);
  });

  test('chunked PATCHes with Content-Range, a status GET, and a final PUT with the last chunk', async () => {
    const bytes = randomBlob(250);
    let loc = await startUpload(base, REPO);
    const r1 = await patch(loc, bytes.subarray(0, 100), '0-99');
    await expectStatus(r1, 202);
    assert.equal(r1.headers.get('range'), '0-99');
    loc = resolveLocation(base, r1);
    const r2 = await patch(loc, bytes.subarray(100, 200), '100-199');
    await expectStatus(r2, 202);
    assert.equal(r2.headers.get('range'), '0-199');
    loc = resolveLocation(base, r2);

    const status = await fetch(loc);
    await status.arrayBuffer();
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), '0-199');
    assert.ok(status.headers.get('docker-upload-uuid'));
    assert.ok(status.headers.get('location'));

    const d = sha256(bytes);
    const put = await fetch(withQuery(loc, { digest: d }), {
      method: 'PUT', headers: { ...OCTET, 'content-range': '200-249' }, body: bytes.subarray(200),
    });
    await expectStatus(put, 201);
    assert.equal(put.headers.get('docker-content-digest'), d);
    assert.deepEqual(await blobBytes(REPO, d), bytes);
  });

  test('rejects a chunk that does not start at the current offset, and the upload stays usable', async () => {
    const bytes = randomBlob(200);
    let loc = await startUpload(base, REPO);
    const r1 = await patch(loc, bytes.subarray(0, 100), '0-99');
    await expectStatus(r1, 202);
    loc = resolveLocation(base, r1);

    const gap = await patch(loc, bytes.subarray(150, 200), '150-199');
    await expectOciError(gap, 416, 'BLOB_UPLOAD_INVALID');
    const overlap = await patch(loc, bytes.subarray(50, 150), '50-149');
    await expectOciError(overlap, 416, 'BLOB_UPLOAD_INVALID');

    const status = await fetch(loc);
    await status.arrayBuffer();
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), '0-99');

    const r2 = await patch(loc, bytes.subarray(100), '100-199');
    await expectStatus(r2, 202);
    loc = resolveLocation(base, r2);
    const put = await fetch(withQuery(loc, { digest: sha256(bytes) }), { method: 'PUT' });
    await expectStatus(put, 201);
    assert.deepEqual(await blobBytes(REPO, sha256(bytes)), bytes);
  });

  test('rejects a chunk whose Content-Range length differs from its body with SIZE_INVALID', async () => {
    const loc = await startUpload(base, REPO);
    const res = await patch(loc, randomBlob(5), '0-9');
    await expectOciError(res, 400, 'SIZE_INVALID');
  });

  test('rejects a final PUT whose digest does not match with DIGEST_INVALID and stores nothing', async () => {
    const bytes = randomBlob(120);
    const claimed = sha256(randomBlob(8));
    const loc = await startUpload(base, REPO);
    const put = await fetch(withQuery(loc, { digest: claimed }), { method: 'PUT', headers: OCTET, body: bytes });
    await expectOciError(put, 400, 'DIGEST_INVALID');
    for (const d of [claimed, sha256(bytes)]) {
      const head = await fetch(`${base}/v2/${REPO}/blobs/${d}`, { method: 'HEAD' });
      await head.arrayBuffer();
      assert.equal(head.status, 404, `HEAD ${d} after a failed upload`);
    }
  });

  test('rejects a monolithic POST whose digest does not match with DIGEST_INVALID', async () => {
    const bytes = randomBlob(64);
    const claimed = sha256(randomBlob(8));
    const res = await fetch(`${base}/v2/${REPO}/blobs/uploads/?digest=${claimed}`, { method: 'POST', headers: OCTET, body: bytes });
    await expectOciError(res, 400, 'DIGEST_INVALID');
    const head = await fetch(`${base}/v2/${REPO}/blobs/${claimed}`, { method: 'HEAD' });
    await head.arrayBuffer();
    assert.equal(head.status, 404);
  });

  test('cancels an upload with DELETE 204, after which its status is 404 BLOB_UPLOAD_UNKNOWN', async () => {
    let loc = await startUpload(base, REPO);
    const r1 = await patch(loc, randomBlob(10));
    await expectStatus(r1, 202);
    loc = resolveLocation(base, r1);
    const del = await fetch(loc, { method: 'DELETE' });
    await del.arrayBuffer();
    assert.equal(del.status, 204);
    await expectOciError(await fetch(loc), 404, 'BLOB_UPLOAD_UNKNOWN');
    await expectOciError(await patch(loc, randomBlob(10)), 404, 'BLOB_UPLOAD_UNKNOWN');
  });

  test('answers 404 BLOB_UPLOAD_UNKNOWN for a PATCH, GET, PUT or DELETE on an unknown upload id', async () => {
    const loc = `${base}/v2/${REPO}/blobs/uploads/${randomUUID()}`;
    await expectOciError(await patch(loc, randomBlob(10)), 404, 'BLOB_UPLOAD_UNKNOWN');
    await expectOciError(await fetch(loc), 404, 'BLOB_UPLOAD_UNKNOWN');
    const bytes = randomBlob(10);
    const put = await fetch(withQuery(loc, { digest: sha256(bytes) }), { method: 'PUT', headers: OCTET, body: bytes });
    await expectOciError(put, 404, 'BLOB_UPLOAD_UNKNOWN');
    await expectOciError(await fetch(loc, { method: 'DELETE' }), 404, 'BLOB_UPLOAD_UNKNOWN');
  });

  test('a completed upload session cannot be used again', async () => {
    const bytes = randomBlob(10);
    const loc = await startUpload(base, REPO);
    const put = await fetch(withQuery(loc, { digest: sha256(bytes) }), { method: 'PUT', headers: OCTET, body: bytes });
    await expectStatus(put, 201);
    await expectOciError(await fetch(loc), 404, 'BLOB_UPLOAD_UNKNOWN');
  });

  test('accepts an empty blob, monolithic or through a session', async () => {
    const empty = Buffer.alloc(0) as Buffer<ArrayBuffer>;
    const d = sha256(empty);
    const mono = await fetch(`${base}/v2/${REPO}/blobs/uploads/?digest=${d}`, { method: 'POST', headers: { ...OCTET, 'content-length': '0' }, body: empty });
    await expectStatus(mono, 201);
    const loc = await startUpload(base, REPO);
    const put = await fetch(withQuery(loc, { digest: d }), { method: 'PUT' });
    await expectStatus(put, 201);
    const head = await fetch(`${base}/v2/${REPO}/blobs/${d}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), '0');
  });

  test('accepts multi-megabyte chunks and monolithic bodies', async () => {
    const big = randomBlob(12 * 1024 * 1024);
    const d = sha256(big);
    const mono = await fetch(`${base}/v2/${REPO}/blobs/uploads/?digest=${d}`, { method: 'POST', headers: OCTET, body: big });
    await expectStatus(mono, 201);
    let loc = await startUpload(base, REPO);
    const half = 6 * 1024 * 1024;
    const r1 = await patch(loc, big.subarray(0, half), `0-${half - 1}`);
    await expectStatus(r1, 202);
    loc = resolveLocation(base, r1);
    const r2 = await patch(loc, big.subarray(half));
    await expectStatus(r2, 202);
    assert.equal(r2.headers.get('range'), `0-${big.length - 1}`);
    const put = await fetch(withQuery(resolveLocation(base, r2), { digest: d }), { method: 'PUT' });
    await expectStatus(put, 201);
    assert.ok((await blobBytes(REPO, d)).equals(big));
  });

  test('accepts sha512 digests for monolithic and chunked uploads', async () => {
    const bytes = randomBlob(500);
    const d = sha512(bytes);
    assert.match(d, /^sha512:[0-9a-f]{128}$/);
    const mono = await fetch(`${base}/v2/${REPO}/blobs/uploads/?digest=${d}`, { method: 'POST', headers: OCTET, body: bytes });
    await expectStatus(mono, 201);
    assert.equal(mono.headers.get('docker-content-digest'), d);
    assert.equal(locationPath(mono), `/v2/${REPO}/blobs/${d}`);
    assert.deepEqual(await blobBytes(REPO, d), bytes);

    const other = randomBlob(300);
    let loc = await startUpload(base, REPO);
    const r1 = await patch(loc, other.subarray(0, 200), '0-199');
    await expectStatus(r1, 202);
    loc = resolveLocation(base, r1);
    const d2 = sha512(other);
    const put = await fetch(withQuery(loc, { digest: d2 }), { method: 'PUT', headers: OCTET, body: other.subarray(200) });
    await expectStatus(put, 201);
    assert.equal(put.headers.get('docker-content-digest'), d2);
    const head = await fetch(`${base}/v2/${REPO}/blobs/${d2}`, { method: 'HEAD' });
    await head.arrayBuffer();
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('docker-content-digest'), d2);
  });

  test('rejects an unsupported digest algorithm with DIGEST_INVALID', async () => {
    const bytes = randomBlob(16);
    const md5 = 'md5:' + 'd41d8cd98f00b204e9800998ecf8427e';
    const mono = await fetch(`${base}/v2/${REPO}/blobs/uploads/?digest=${md5}`, { method: 'POST', headers: OCTET, body: bytes });
    await expectOciError(mono, 400, 'DIGEST_INVALID');
    const loc = await startUpload(base, REPO);
    const put = await fetch(withQuery(loc, { digest: md5 }), { method: 'PUT', headers: OCTET, body: bytes });
    await expectOciError(put, 400, 'DIGEST_INVALID');
  });

  test('mounts a blob from another repository with 201 and the blob Location', async () => {
    const bytes = randomBlob(77);
    const d = await pushBlob(base, REPO, bytes);
    const res = await fetch(`${base}/v2/${MOUNT_TARGET}/blobs/uploads/?mount=${d}&from=${REPO}`, { method: 'POST' });
    await expectStatus(res, 201);
    assert.equal(locationPath(res), `/v2/${MOUNT_TARGET}/blobs/${d}`);
    const head = await fetch(`${base}/v2/${MOUNT_TARGET}/blobs/${d}`, { method: 'HEAD' });
    await head.arrayBuffer();
    assert.equal(head.status, 200);
    assert.deepEqual(await blobBytes(MOUNT_TARGET, d), bytes);
  });

  test('falls back to a 202 upload session when the mount source lacks the blob', async () => {
    for (const from of [REPO, 'uploads/nonexistent']) {
      const bytes = randomBlob(40);
      const d = sha256(bytes);
      const res = await fetch(`${base}/v2/${MOUNT_TARGET}/blobs/uploads/?mount=${d}&from=${from}`, { method: 'POST' });
      await expectStatus(res, 202);
      assert.ok(res.headers.get('docker-upload-uuid'));
      const loc = resolveLocation(base, res);
      const put = await fetch(withQuery(loc, { digest: d }), { method: 'PUT', headers: OCTET, body: bytes });
      await expectStatus(put, 201);
      assert.deepEqual(await blobBytes(MOUNT_TARGET, d), bytes);
    }
  });

  test('answers 404 NAME_UNKNOWN when opening an upload in a repository that does not exist', async () => {
    const res = await fetch(`${base}/v2/uploads/missing/blobs/uploads/`, { method: 'POST' });
    const errs = await expectOciError(res, 404, 'NAME_UNKNOWN');
    assert.match(errs.find((e) => e.code === 'NAME_UNKNOWN')!.message, /does not exist in the registry/);
  });
});
