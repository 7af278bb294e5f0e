// OCI Distribution API errors: repository name validation, unknown repositories, unsupported methods,
// unknown routes, and one request producing each OCI error code Wharf serves without auth.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startWharf, type RunningWharf, authedFetch as fetch } from '../helpers/server.ts';
import {
  MT, absentDigest, descriptor, expectOciError, makeImage, putManifest, rawErrorCodes, rawRequest, randomBlob, sha256, startUpload,
  withQuery,
} from '../helpers/http.ts';

const REPO = 'errors/app';

describe('OCI errors', () => {
  let w: RunningWharf;
  let base: string;

  before(async () => { w = await startWharf({ repositories: [REPO] }); base = w.url; });
  after(async () => { await w?.stop(); });

  const INVALID_NAMES: Array<[string, string]> = [
    ['uppercase', 'Errors/App'],
    ['a dot-dot segment', 'errors/../app'],
    ['an encoded dot-dot segment', 'errors/%2e%2e/app'],
    ['an empty component', 'errors//app'],
    ['a trailing slash', 'errors/app/'],
    ['a leading slash', '/errors/app'],
    ['one character (ECR minimum is 2)', 'a'],
    ['257 characters', 'a'.repeat(257)],
    ['a leading separator', '-errors'],
  ];

  for (const [why, name] of INVALID_NAMES) {
    test(`rejects a repository name with ${why} as 400 NAME_INVALID`, async () => {
      for (const [method, path] of [
        ['GET', `/v2/${name}/manifests/latest`],
        ['POST', `/v2/${name}/blobs/uploads/`],
        ['GET', `/v2/${name}/tags/list`],
      ]) {
        const r = await rawRequest(base, method, path);
        assert.equal(r.status, 400, `${method} ${path.slice(0, 80)}: ${r.body.toString().slice(0, 200)}`);
        assert.ok(rawErrorCodes(r).includes('NAME_INVALID'), `${method} ${path.slice(0, 80)}: ${r.body.toString().slice(0, 200)}`);
      }
    });
  }

  test('names of 2 and 256 characters are valid (unknown, not invalid)', async () => {
    for (const name of ['ab', 'a'.repeat(256), 'a/b/c-d__e.f']) {
      const r = await rawRequest(base, 'GET', `/v2/${name}/tags/list`);
      assert.equal(r.status, 404, `${name.length} chars: ${r.body}`);
      assert.deepEqual(rawErrorCodes(r), ['NAME_UNKNOWN']);
    }
  });

  test('any push or pull to an unknown repository is 404 NAME_UNKNOWN naming the repository', async () => {
    const name = 'errors/unknown';
    const d = absentDigest();
    const { body } = await makeImage(base, REPO);
    const requests: Array<[string, string, RequestInit?]> = [
      ['GET manifest', `/v2/${name}/manifests/latest`],
      ['HEAD manifest', `/v2/${name}/manifests/latest`, { method: 'HEAD' }],
      ['PUT manifest', `/v2/${name}/manifests/latest`, { method: 'PUT', headers: { 'content-type': MT.ociManifest }, body }],
      ['DELETE manifest', `/v2/${name}/manifests/${d}`, { method: 'DELETE' }],
      ['GET blob', `/v2/${name}/blobs/${d}`],
      ['DELETE blob', `/v2/${name}/blobs/${d}`, { method: 'DELETE' }],
      ['POST upload', `/v2/${name}/blobs/uploads/`, { method: 'POST' }],
      ['monolithic upload', `/v2/${name}/blobs/uploads/?digest=${sha256('x')}`, { method: 'POST', body: 'x' }],
      ['GET upload', `/v2/${name}/blobs/uploads/${randomUUID()}`],
      ['tags/list', `/v2/${name}/tags/list`],
      ['referrers', `/v2/${name}/referrers/${d}`],
    ];
    for (const [what, path, init] of requests) {
      const res = await fetch(base + path, init);
      if (init?.method === 'HEAD') {
        assert.equal(res.status, 404, what);
        continue;
      }
      const errs = await expectOciError(res, 404, 'NAME_UNKNOWN').catch((e: Error) => assert.fail(`${what}: ${e.message}`));
      const msg = errs.find((e) => e.code === 'NAME_UNKNOWN')!.message;
      assert.match(msg, new RegExp(`The repository with name '${name}' does not exist in the registry`), what);
    }
  });

  test('error responses are JSON', async () => {
    const res = await fetch(`${base}/v2/${REPO}/manifests/nope`);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    await expectOciError(res, 404, 'MANIFEST_UNKNOWN');
  });

  test('a method a known route does not support is 405 UNSUPPORTED', async () => {
    const d = absentDigest();
    for (const [method, path] of [
      ['PATCH', `/v2/${REPO}/manifests/x`],
      ['POST', `/v2/${REPO}/manifests/x`],
      ['PUT', `/v2/${REPO}/blobs/${d}`],
      ['PATCH', `/v2/${REPO}/blobs/${d}`],
      ['POST', `/v2/${REPO}/tags/list`],
      ['DELETE', `/v2/${REPO}/tags/list`],
    ]) {
      const r = await rawRequest(base, method, path, { 'content-length': '0' });
      assert.equal(r.status, 405, `${method} ${path}: ${r.body}`);
      assert.ok(rawErrorCodes(r).includes('UNSUPPORTED'), `${method} ${path}: ${r.body}`);
    }
  });

  test('an unknown path is 404', async () => {
    for (const path of ['/nothing', '/v3/', `/v2/${REPO}/unknown`, `/v2/${REPO}/blobs`]) {
      const r = await rawRequest(base, 'GET', path);
      assert.equal(r.status, 404, `${path}: ${r.body}`);
    }
  });

  describe('each OCI error code', () => {
    test('BLOB_UNKNOWN', async () => {
      await expectOciError(await fetch(`${base}/v2/${REPO}/blobs/${absentDigest()}`), 404, 'BLOB_UNKNOWN');
    });
    test('BLOB_UPLOAD_INVALID', async () => {
      const loc = await startUpload(base, REPO);
      const res = await fetch(loc, { method: 'PATCH', headers: { 'content-range': '10-19' }, body: randomBlob(10) });
      await expectOciError(res, 416, 'BLOB_UPLOAD_INVALID');
    });
    test('BLOB_UPLOAD_UNKNOWN', async () => {
      await expectOciError(await fetch(`${base}/v2/${REPO}/blobs/uploads/${randomUUID()}`), 404, 'BLOB_UPLOAD_UNKNOWN');
    });
    test('DIGEST_INVALID', async () => {
      const loc = await startUpload(base, REPO);
      const res = await fetch(withQuery(loc, { digest: absentDigest() }), { method: 'PUT', body: randomBlob(10) });
      await expectOciError(res, 400, 'DIGEST_INVALID');
    });
    test('MANIFEST_BLOB_UNKNOWN', async () => {
      const body = JSON.stringify({
        schemaVersion: 2, mediaType: MT.ociManifest, config: descriptor(MT.ociConfig, randomBlob(9)), layers: [],
      });
      await expectOciError(await putManifest(base, REPO, 'x', body, MT.ociManifest), [400, 404], 'MANIFEST_BLOB_UNKNOWN');
    });
    test('MANIFEST_INVALID', async () => {
      await expectOciError(await putManifest(base, REPO, 'x', '{', MT.ociManifest), 400, 'MANIFEST_INVALID');
    });
    test('MANIFEST_UNKNOWN', async () => {
      await expectOciError(await fetch(`${base}/v2/${REPO}/manifests/absent`), 404, 'MANIFEST_UNKNOWN');
    });
    test('NAME_INVALID', async () => {
      await expectOciError(await fetch(`${base}/v2/Bad/tags/list`), 400, 'NAME_INVALID');
    });
    test('NAME_UNKNOWN', async () => {
      await expectOciError(await fetch(`${base}/v2/no/such/tags/list`), 404, 'NAME_UNKNOWN');
    });
    test('SIZE_INVALID', async () => {
      const loc = await startUpload(base, REPO);
      const res = await fetch(loc, { method: 'PATCH', headers: { 'content-range': '0-99' }, body: randomBlob(10) });
      await expectOciError(res, 400, 'SIZE_INVALID');
    });
    test('UNSUPPORTED', async () => {
      await expectOciError(await fetch(`${base}/v2/${REPO}/manifests/x`, { method: 'PATCH', body: '{}' }), 405, 'UNSUPPORTED');
    });
    test('TAG_INVALID (Wharf/ECR extension)', async () => {
      const { body } = await makeImage(base, REPO);
      await expectOciError(await putManifest(base, REPO, '-bad', body, MT.ociManifest), 400, 'TAG_INVALID');
    });
  });
});
