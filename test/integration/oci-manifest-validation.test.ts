// OCI Distribution API: manifests Wharf must refuse (digest mismatch, schema 1, malformed, missing
// blobs or children, oversized, bad tags) and that nothing is stored when it does.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWharf, type RunningWharf, authedFetch as fetch } from '../helpers/server.ts';
import {
  MT, absentDigest, descriptor, expectOciError, expectStatus, makeImage, pushBlob, pushManifest, putManifest, randomBlob,
  sha256, type OciError,
} from '../helpers/http.ts';

const REPO = 'validation/app';
const OTHER = 'validation/other';

describe('OCI manifest validation', () => {
  let w: RunningWharf;
  let base: string;
  let config: string;

  before(async () => {
    w = await startWharf({ repositories: [REPO, OTHER] });
    base = w.url;
    config = JSON.stringify({ architecture: 'amd64', os: 'linux' });
    await pushBlob(base, REPO, config);
  });
  after(async () => { await w?.stop(); });

  async function expectNotStored(ref: string): Promise<void> {
    await expectOciError(await fetch(`${base}/v2/${REPO}/manifests/${ref}`), 404, 'MANIFEST_UNKNOWN');
  }

  test('rejects a PUT by digest whose digest does not match the body with DIGEST_INVALID', async () => {
    const { body, digest } = await makeImage(base, REPO);
    const wrong = absentDigest();
    await expectOciError(await putManifest(base, REPO, wrong, body, MT.ociManifest), 400, 'DIGEST_INVALID');
    await expectNotStored(wrong);
    await expectNotStored(digest);
  });

  test('rejects a Docker schema 1 manifest sent with the schema 1 media type', async () => {
    const body = JSON.stringify({
      schemaVersion: 1, name: REPO, tag: 'old', architecture: 'amd64', fsLayers: [], history: [],
      signatures: [{ header: { alg: 'ES256' }, signature: 'x', protected: 'y' }],
    });
    const errs = await expectOciError(await putManifest(base, REPO, 'schema1', body, MT.dockerSchema1Signed), 400, 'MANIFEST_INVALID');
    assert.match(errs.map((e) => e.message).join(' '), /schema ?1/i);
    await expectNotStored('schema1');
  });

  test('rejects a body with schemaVersion 1 whatever its Content-Type', async () => {
    const body = JSON.stringify({ schemaVersion: 1, name: REPO, tag: 'old', architecture: 'amd64', fsLayers: [], history: [] });
    for (const ct of [MT.dockerManifest, 'application/json']) {
      const errs = await expectOciError(await putManifest(base, REPO, 'schema1-body', body, ct), 400, 'MANIFEST_INVALID');
      assert.match(errs.map((e) => e.message).join(' '), /schema ?1/i);
    }
    await expectNotStored('schema1-body');
  });

  test('rejects malformed JSON and non-manifest JSON with MANIFEST_INVALID', async () => {
    const bodies = [
      '{"schemaVersion": 2, "mediaType": ',
      'not json at all',
      '[1,2,3]',
      JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, layers: [] }),
      JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config: { mediaType: MT.ociConfig, digest: 'nope', size: 2 }, layers: [] }),
    ];
    for (const body of bodies) {
      await expectOciError(await putManifest(base, REPO, 'malformed', body, MT.ociManifest), 400, 'MANIFEST_INVALID');
    }
    await expectNotStored('malformed');
  });

  test('rejects a manifest whose config or layer is not in the repository with MANIFEST_BLOB_UNKNOWN', async () => {
    const layer = randomBlob(50);
    await pushBlob(base, REPO, layer);
    const missingConfig = JSON.stringify({
      schemaVersion: 2, mediaType: MT.ociManifest,
      config: descriptor(MT.ociConfig, JSON.stringify({ missing: true })), layers: [descriptor(MT.ociLayer, layer)],
    });
    const missingLayer = JSON.stringify({
      schemaVersion: 2, mediaType: MT.ociManifest,
      config: descriptor(MT.ociConfig, config), layers: [descriptor(MT.ociLayer, randomBlob(50))],
    });
    for (const body of [missingConfig, missingLayer]) {
      await expectOciError(await putManifest(base, REPO, 'missing-blob', body, MT.ociManifest), [400, 404], 'MANIFEST_BLOB_UNKNOWN');
      await expectNotStored(sha256(body));
    }
    await expectNotStored('missing-blob');
  });

  test('rejects a manifest whose layer exists only in another repository', async () => {
    const layer = randomBlob(70);
    await pushBlob(base, OTHER, layer);
    const body = JSON.stringify({
      schemaVersion: 2, mediaType: MT.ociManifest,
      config: descriptor(MT.ociConfig, config), layers: [descriptor(MT.ociLayer, layer)],
    });
    await expectOciError(await putManifest(base, REPO, 'cross-repo', body, MT.ociManifest), [400, 404], 'MANIFEST_BLOB_UNKNOWN');
    await expectNotStored('cross-repo');
  });

  test('rejects an index that references a child manifest not in the repository', async () => {
    const child = await makeImage(base, REPO);
    const index = JSON.stringify({
      schemaVersion: 2, mediaType: MT.ociIndex,
      manifests: [{ ...descriptor(MT.ociManifest, child.body), platform: { architecture: 'amd64', os: 'linux' } }],
    });
    await expectOciError(await putManifest(base, REPO, 'orphan-index', index, MT.ociIndex), [400, 404], 'MANIFEST_BLOB_UNKNOWN');
    await expectNotStored('orphan-index');
    await pushManifest(base, REPO, child.digest, child.body, MT.ociManifest);
    await expectStatus(await putManifest(base, REPO, 'orphan-index', index, MT.ociIndex), 201);
  });

  test('rejects a manifest over 4 MiB with an error envelope and stores nothing', async () => {
    const layer = randomBlob(20);
    await pushBlob(base, REPO, layer);
    const body = JSON.stringify({
      schemaVersion: 2, mediaType: MT.ociManifest,
      config: descriptor(MT.ociConfig, config), layers: [descriptor(MT.ociLayer, layer)],
      annotations: { padding: 'x'.repeat(4 * 1024 * 1024) },
    });
    assert.ok(Buffer.byteLength(body) > 4 * 1024 * 1024);
    const res = await putManifest(base, REPO, 'huge', body, MT.ociManifest);
    const text = await res.text();
    assert.ok([400, 413].includes(res.status), `expected 400 or 413, got ${res.status}: ${text.slice(0, 300)}`);
    const errs = (JSON.parse(text) as { errors: OciError[] }).errors;
    assert.ok(errs.some((e) => e.code === 'SIZE_INVALID' || e.code === 'MANIFEST_INVALID'), `error codes: ${text}`);
    await expectNotStored('huge');
    await expectNotStored(sha256(body));
  });

  test('accepts a manifest of 3 MiB, under the 4 MiB limit', async () => {
    const layer = randomBlob(20);
    await pushBlob(base, REPO, layer);
    const body = JSON.stringify({
      schemaVersion: 2, mediaType: MT.ociManifest,
      config: descriptor(MT.ociConfig, config), layers: [descriptor(MT.ociLayer, layer)],
      annotations: { padding: 'y'.repeat(3 * 1024 * 1024) },
    });
    const digest = await pushManifest(base, REPO, 'large', body, MT.ociManifest);
    const res = await fetch(`${base}/v2/${REPO}/manifests/${digest}`);
    await expectStatus(res, 200);
    assert.equal(await res.text(), body);
  });

  test('rejects invalid tags with TAG_INVALID and accepts a 128-character tag', async () => {
    const { body } = await makeImage(base, REPO);
    for (const tag of ['-bad', '.bad', 'a'.repeat(129), 'bad+tag']) {
      await expectOciError(await putManifest(base, REPO, tag, body, MT.ociManifest), 400, 'TAG_INVALID');
    }
    const long = 'A' + '_'.repeat(126) + 'z';
    assert.equal(long.length, 128);
    await pushManifest(base, REPO, long, body, MT.ociManifest);
    await expectStatus(await fetch(`${base}/v2/${REPO}/manifests/${long}`), 200);
  });

  test('answers 404 NAME_UNKNOWN for a manifest PUT to a repository that does not exist', async () => {
    const { body } = await makeImage(base, REPO);
    const errs = await expectOciError(await putManifest(base, 'validation/missing', 'v1', body, MT.ociManifest), 404, 'NAME_UNKNOWN');
    assert.match(errs.find((e) => e.code === 'NAME_UNKNOWN')!.message, /does not exist in the registry/);
  });
});
