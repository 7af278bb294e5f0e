// OCI Distribution API: pushing and pulling manifests of every supported type, by tag and by digest,
// byte-exact, plus deletes and the OCI-Subject header.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWharf, type RunningWharf, authedFetch as fetch } from '../helpers/server.ts';
import {
  MT, absentDigest, descriptor, expectOciError, expectStatus, locationPath, makeImage, pushBlob, pushManifest, putManifest,
  rawRequest, randomBlob, sha256,
} from '../helpers/http.ts';

const REPO = 'manifests/app';

describe('OCI manifests', () => {
  let w: RunningWharf;
  let base: string;

  before(async () => { w = await startWharf({ repositories: [REPO] }); base = w.url; });
  after(async () => { await w?.stop(); });

  /** GET (and HEAD) `ref` and check exact bytes, Content-Type and digest. */
  async function expectManifest(ref: string, body: string, mediaType: string): Promise<void> {
    const digest = sha256(body);
    const res = await fetch(`${base}/v2/${REPO}/manifests/${ref}`, { headers: { accept: mediaType } });
    await expectStatus(res, 200);
    assert.equal(res.headers.get('content-type'), mediaType, `Content-Type of ${ref}`);
    assert.equal(res.headers.get('docker-content-digest'), digest, `Docker-Content-Digest of ${ref}`);
    assert.equal(res.headers.get('content-length'), String(Buffer.byteLength(body)));
    assert.equal(Buffer.from(await res.arrayBuffer()).toString('utf8'), body, `bytes of ${ref}`);
    const head = await fetch(`${base}/v2/${REPO}/manifests/${ref}`, { method: 'HEAD', headers: { accept: mediaType } });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), mediaType);
    assert.equal(head.headers.get('docker-content-digest'), digest);
    assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(body)));
    assert.equal((await head.arrayBuffer()).byteLength, 0);
  }

  test('PUT by tag answers 201 with Location and the sha256 of the exact bytes (odd whitespace kept)', async () => {
    const { body: compact } = await makeImage(base, REPO);
    const body = ' \n' + JSON.stringify(JSON.parse(compact), null, 3).replace(/": /g, '" :\t') + '\n\n  ';
    const digest = sha256(body);
    const res = await putManifest(base, REPO, 'odd-space', body, MT.ociManifest);
    await expectStatus(res, 201);
    assert.equal(res.headers.get('docker-content-digest'), digest);
    assert.equal(locationPath(res), `/v2/${REPO}/manifests/${digest}`);
    assert.equal(res.headers.get('oci-subject'), null, 'no OCI-Subject without a subject');
    await expectManifest('odd-space', body, MT.ociManifest);
    await expectManifest(digest, body, MT.ociManifest);
  });

  test('PUT by digest stores the manifest under that digest', async () => {
    const { body, digest } = await makeImage(base, REPO);
    const res = await putManifest(base, REPO, digest, body, MT.ociManifest);
    await expectStatus(res, 201);
    assert.equal(res.headers.get('docker-content-digest'), digest);
    assert.equal(locationPath(res), `/v2/${REPO}/manifests/${digest}`);
    await expectManifest(digest, body, MT.ociManifest);
  });

  test('stores and serves a Docker schema 2 manifest and a Docker manifest list', async () => {
    const { body: img, digest: imgDigest } = await makeImage(base, REPO, {}, MT.dockerManifest);
    await pushManifest(base, REPO, 'docker-v2', img, MT.dockerManifest);
    await expectManifest('docker-v2', img, MT.dockerManifest);
    const list = JSON.stringify({
      schemaVersion: 2,
      mediaType: MT.dockerManifestList,
      manifests: [{ ...descriptor(MT.dockerManifest, img), platform: { architecture: 'amd64', os: 'linux' } }],
    });
    assert.equal(sha256(img), imgDigest);
    await pushManifest(base, REPO, 'docker-list', list, MT.dockerManifestList);
    await expectManifest('docker-list', list, MT.dockerManifestList);
    await expectManifest(sha256(list), list, MT.dockerManifestList);
  });

  test('stores and serves an OCI image manifest and an OCI index', async () => {
    const a = await makeImage(base, REPO);
    const b = await makeImage(base, REPO);
    await pushManifest(base, REPO, 'oci-a', a.body, MT.ociManifest);
    await pushManifest(base, REPO, b.digest, b.body, MT.ociManifest);
    await expectManifest('oci-a', a.body, MT.ociManifest);
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: MT.ociIndex,
      manifests: [
        { ...descriptor(MT.ociManifest, a.body), platform: { architecture: 'amd64', os: 'linux' } },
        { ...descriptor(MT.ociManifest, b.body), platform: { architecture: 'arm64', os: 'linux' } },
      ],
      annotations: { 'org.example': 'index' },
    });
    await pushManifest(base, REPO, 'oci-index', index, MT.ociIndex);
    await expectManifest('oci-index', index, MT.ociIndex);
  });

  test('stores an OCI artifact with artifactType and the empty config', async () => {
    await pushBlob(base, REPO, '{}');
    const payload = randomBlob(32);
    await pushBlob(base, REPO, payload);
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: MT.ociManifest,
      artifactType: 'application/vnd.example.sbom.v1+json',
      config: { mediaType: MT.ociEmpty, digest: sha256('{}'), size: 2, data: 'e30=' },
      layers: [descriptor('application/vnd.example.sbom.layer.v1+json', payload)],
      annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z' },
    });
    await pushManifest(base, REPO, 'artifact', body, MT.ociManifest);
    await expectManifest('artifact', body, MT.ociManifest);
  });

  test('stores an artifact with a custom config media type and the empty descriptor as its only layer', async () => {
    const config = JSON.stringify({ tool: 'example', version: 3 });
    await pushBlob(base, REPO, config);
    await pushBlob(base, REPO, '{}');
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: MT.ociManifest,
      config: descriptor('application/vnd.example.config.v1+json', config),
      layers: [descriptor(MT.ociEmpty, '{}')],
    });
    await pushManifest(base, REPO, 'custom-config', body, MT.ociManifest);
    await expectManifest('custom-config', body, MT.ociManifest);
  });

  test('accepts a manifest whose non-distributable layers are not in the repository', async () => {
    const config = JSON.stringify({ architecture: 'amd64', os: 'windows', n: Math.random() });
    await pushBlob(base, REPO, config);
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: MT.ociManifest,
      config: descriptor(MT.ociConfig, config),
      layers: [{ ...descriptor(MT.nonDistributable, randomBlob(64)), urls: ['https://example.invalid/layer.tar.gz'] }],
    });
    await pushManifest(base, REPO, 'foreign', body, MT.ociManifest);
    await expectManifest('foreign', body, MT.ociManifest);
  });

  test('GET without an Accept header returns the stored Content-Type', async () => {
    const { body } = await makeImage(base, REPO, {}, MT.dockerManifest);
    await pushManifest(base, REPO, 'no-accept', body, MT.dockerManifest);
    const r = await rawRequest(base, 'GET', `/v2/${REPO}/manifests/no-accept`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], MT.dockerManifest);
    assert.equal(r.body.toString('utf8'), body);
  });

  test('moving a tag to another manifest serves the new one and keeps the old by digest', async () => {
    const a = await makeImage(base, REPO);
    const b = await makeImage(base, REPO);
    await pushManifest(base, REPO, 'moving', a.body, MT.ociManifest);
    await pushManifest(base, REPO, 'moving', b.body, MT.ociManifest);
    await expectManifest('moving', b.body, MT.ociManifest);
    await expectManifest(a.digest, a.body, MT.ociManifest);
  });

  test('answers 404 MANIFEST_UNKNOWN for an unknown tag or digest', async () => {
    await expectOciError(await fetch(`${base}/v2/${REPO}/manifests/nope`), 404, 'MANIFEST_UNKNOWN');
    await expectOciError(await fetch(`${base}/v2/${REPO}/manifests/${absentDigest()}`), 404, 'MANIFEST_UNKNOWN');
    const head = await fetch(`${base}/v2/${REPO}/manifests/nope`, { method: 'HEAD' });
    assert.equal(head.status, 404);
    assert.equal((await head.arrayBuffer()).byteLength, 0);
  });

  test('DELETE by digest answers 202, after which the manifest and its tag are gone', async () => {
    const { body, digest } = await makeImage(base, REPO);
    await pushManifest(base, REPO, 'doomed', body, MT.ociManifest);
    const del = await fetch(`${base}/v2/${REPO}/manifests/${digest}`, { method: 'DELETE' });
    await del.arrayBuffer();
    assert.equal(del.status, 202);
    await expectOciError(await fetch(`${base}/v2/${REPO}/manifests/${digest}`), 404, 'MANIFEST_UNKNOWN');
    await expectOciError(await fetch(`${base}/v2/${REPO}/manifests/doomed`), 404, 'MANIFEST_UNKNOWN');
    await expectOciError(await fetch(`${base}/v2/${REPO}/manifests/${digest}`, { method: 'DELETE' }), 404, 'MANIFEST_UNKNOWN');
  });

  test('DELETE by tag answers 202 and removes only the tag', async () => {
    const { body, digest } = await makeImage(base, REPO);
    await pushManifest(base, REPO, 'untag-me', body, MT.ociManifest);
    await pushManifest(base, REPO, 'keep-me', body, MT.ociManifest);
    const del = await fetch(`${base}/v2/${REPO}/manifests/untag-me`, { method: 'DELETE' });
    await del.arrayBuffer();
    assert.equal(del.status, 202);
    await expectOciError(await fetch(`${base}/v2/${REPO}/manifests/untag-me`), 404, 'MANIFEST_UNKNOWN');
    await expectManifest(digest, body, MT.ociManifest);
    await expectManifest('keep-me', body, MT.ociManifest);
  });

  test('PUT of a manifest with a subject answers OCI-Subject, even when the subject is absent', async () => {
    const target = await makeImage(base, REPO);
    await pushManifest(base, REPO, 'subject-target', target.body, MT.ociManifest);
    const subjects = [descriptor(MT.ociManifest, target.body), { mediaType: MT.ociManifest, digest: absentDigest(), size: 321 }];
    for (const subject of subjects) {
      const { body } = await makeImage(base, REPO, { artifactType: 'application/vnd.example.signature', subject });
      const res = await putManifest(base, REPO, sha256(body), body, MT.ociManifest);
      await expectStatus(res, 201);
      assert.equal(res.headers.get('oci-subject'), subject.digest);
    }
  });
});
