// Blob rules a manifest push and a blob DELETE must keep: only a foreign layer with http(s) urls may
// be absent, and a blob that a manifest still uses cannot be deleted out from under the image.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MT, absentDigest, descriptor, expectOciError, makeImage, pushBlob, pushManifest, putManifest, randomBlob } from '../helpers/http.ts';
import { authedFetch as fetch, startWharf, type RunningWharf } from '../helpers/server.ts';

const REPO = 'rules/app';
const OTHER = 'rules/other';

describe('blob rules', () => {
  let w: RunningWharf;
  let base: string;
  before(async () => { w = await startWharf({ repositories: [REPO, OTHER] }); base = w.url; });
  after(async () => { await w?.stop(); });

  /** An OCI image with a pushed config and `layers` as given. */
  async function image(layers: object[]): Promise<string> {
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', nonce: Math.random() });
    await pushBlob(base, REPO, config);
    return JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config: descriptor(MT.ociConfig, config), layers });
  }

  const FOREIGN_TYPES = [
    'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
    'application/vnd.oci.image.layer.nondistributable.v1.tar',
    'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
    'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  ];

  test('a foreign (non-distributable) layer with http(s) urls need not be present', async () => {
    for (const mediaType of FOREIGN_TYPES) {
      const body = await image([{ mediaType, digest: absentDigest(), size: 100, urls: ['https://example.invalid/a.tar.gz', 'http://mirror.invalid/a'] }]);
      const r = await putManifest(base, REPO, 'foreign', body, MT.ociManifest);
      assert.equal(r.status, 201, `${mediaType}: ${await r.text()}`);
    }
  });

  test('an ordinary layer with urls, or a foreign layer without urls, must be present (MANIFEST_BLOB_UNKNOWN)', async () => {
    const cases: Array<[string, object]> = [
      ['distributable layer with urls', { mediaType: MT.ociLayer, digest: absentDigest(), size: 10, urls: ['https://example.invalid/x'] }],
      ['media type that only contains ".foreign."', { mediaType: 'application/vnd.example.foreign.layer', digest: absentDigest(), size: 10, urls: ['https://example.invalid/x'] }],
      ['foreign layer without urls', { mediaType: FOREIGN_TYPES[0], digest: absentDigest(), size: 10 }],
      ['foreign layer with an empty urls list', { mediaType: FOREIGN_TYPES[2], digest: absentDigest(), size: 10, urls: [] }],
    ];
    for (const [why, layer] of cases) {
      const r = await putManifest(base, REPO, 'missing', await image([layer]), MT.ociManifest);
      const errs = await expectOciError(r, 400, 'MANIFEST_BLOB_UNKNOWN');
      assert.match(errs[0].message, new RegExp((layer as { digest: string }).digest), why);
    }
    // The same distributable layer with urls is accepted once its blob is in the repository.
    const bytes = randomBlob(50);
    await pushBlob(base, REPO, bytes);
    const ok = await putManifest(base, REPO, 'present', await image([descriptor(MT.ociLayer, bytes, { urls: ['https://example.invalid/x'] })]), MT.ociManifest);
    assert.equal(ok.status, 201, await ok.text());
  });

  test('urls that are not http(s) URLs are MANIFEST_INVALID', async () => {
    for (const urls of [['file:///etc/passwd'], ['ftp://example.invalid/a'], ['javascript:alert(1)'], ['not a url'], ['https://ok.invalid/a', 's3://bucket/key'], [42], ['https://example.invalid/a#frag'], 'https://example.invalid/a']) {
      const r = await putManifest(base, REPO, 'badurl', await image([{ mediaType: FOREIGN_TYPES[1], digest: absentDigest(), size: 10, urls }]), MT.ociManifest);
      const errs = await expectOciError(r, 400, 'MANIFEST_INVALID');
      assert.match(errs[0].message, /layers\[0\]\.urls/, JSON.stringify(urls));
    }
  });

  test('DELETE of a blob a manifest still references is 409 DENIED and the image stays pullable', async () => {
    const { body, digest } = await makeImage(base, REPO);
    await pushManifest(base, REPO, 'keep', body, MT.ociManifest);
    const m = JSON.parse(body) as { config: { digest: string }; layers: Array<{ digest: string }> };
    for (const d of [m.config.digest, m.layers[0].digest]) {
      const del = await fetch(`${base}/v2/${REPO}/blobs/${d}`, { method: 'DELETE' });
      const errs = await expectOciError(del, 409, 'DENIED');
      assert.equal(errs[0].message, `blob ${d} is referenced by a manifest in this repository; delete the manifests that use it first`);
      const get = await fetch(`${base}/v2/${REPO}/blobs/${d}`);
      assert.equal(get.status, 200, 'the blob is still served');
      await get.arrayBuffer();
    }
    const pulled = await fetch(`${base}/v2/${REPO}/manifests/keep`, { headers: { accept: MT.ociManifest } });
    assert.equal(pulled.status, 200);
    assert.equal(await pulled.text(), body);
    // The same blob linked to another repository, where no manifest uses it, can be deleted there.
    const mount = await fetch(`${base}/v2/${OTHER}/blobs/uploads/?mount=${m.layers[0].digest}&from=${REPO}`, { method: 'POST' });
    assert.equal(mount.status, 201, await mount.text());
    const delOther = await fetch(`${base}/v2/${OTHER}/blobs/${m.layers[0].digest}`, { method: 'DELETE' });
    assert.equal(delOther.status, 202, await delOther.text());
    // Once the manifest is gone, the blob can be deleted.
    const delManifest = await fetch(`${base}/v2/${REPO}/manifests/${digest}`, { method: 'DELETE' });
    assert.equal(delManifest.status, 202, await delManifest.text());
    const delBlob = await fetch(`${base}/v2/${REPO}/blobs/${m.layers[0].digest}`, { method: 'DELETE' });
    assert.equal(delBlob.status, 202, await delBlob.text());
    await expectOciError(await fetch(`${base}/v2/${REPO}/blobs/${m.layers[0].digest}`), 404, 'BLOB_UNKNOWN');
  });
});
