// OCI Distribution fidelity for manifests: malformed references on GET/HEAD (404) versus PUT/DELETE
// (400), manifests pushed by a sha512 digest, and the OCI 1.1 `?tag=` parameters of a push by digest.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchGetImageCommand, CreateRepositoryCommand, DescribeImagesCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { startWharf, type RunningWharf, authedFetch as fetch } from '../helpers/server.ts';
import { ecrClient } from '../e2e/ecr-images-support.ts';
import { MT, expectOciError, expectStatus, locationPath, makeImage, putManifest, sha256, sha512 } from '../helpers/http.ts';

const REPO = 'fidelity/app';
const IMMUTABLE = 'fidelity/locked';

describe('OCI manifest fidelity', () => {
  let w: RunningWharf;
  let base: string;
  let ecr: ECRClient;

  before(async () => {
    w = await startWharf({ repositories: [REPO] });
    base = w.url;
    ecr = ecrClient(w);
    await ecr.send(new CreateRepositoryCommand({ repositoryName: IMMUTABLE, imageTagMutability: 'IMMUTABLE' }));
  });
  after(async () => { ecr?.destroy(); await w?.stop(); });

  const url = (ref: string, repo = REPO) => `${base}/v2/${repo}/manifests/${ref}`;
  const tagsOf = async (repo = REPO): Promise<string[]> => ((await (await fetch(`${base}/v2/${repo}/tags/list`)).json()) as { tags: string[] }).tags;

  describe('a reference that is neither a tag nor a digest', () => {
    const bad = ['-leading-dash', 'a'.repeat(129), 'sha256:abc', `md5:${'a'.repeat(32)}`, `sha512:${'A'.repeat(128)}`];

    test('GET and HEAD answer 404 MANIFEST_UNKNOWN', async () => {
      for (const ref of bad) {
        await expectOciError(await fetch(url(ref)), 404, 'MANIFEST_UNKNOWN');
        const head = await fetch(url(ref), { method: 'HEAD' });
        assert.equal(head.status, 404, `HEAD ${ref}`);
      }
    });

    test('GET in a repository that does not exist is still NAME_UNKNOWN', async () => {
      await expectOciError(await fetch(`${base}/v2/fidelity/none/manifests/-bad`), 404, 'NAME_UNKNOWN');
    });

    test('PUT keeps 400 (TAG_INVALID / DIGEST_INVALID) and DELETE answers 400 too', async () => {
      const { body } = await makeImage(base, REPO);
      await expectOciError(await putManifest(base, REPO, '-leading-dash', body, MT.ociManifest), 400, 'TAG_INVALID');
      await expectOciError(await putManifest(base, REPO, 'sha256:abc', body, MT.ociManifest), 400, 'DIGEST_INVALID');
      await expectOciError(await fetch(url('-leading-dash'), { method: 'DELETE' }), 400, 'TAG_INVALID');
      await expectOciError(await fetch(url(`md5:${'a'.repeat(32)}`), { method: 'DELETE' }), 400, 'DIGEST_INVALID');
    });
  });

  describe('a manifest pushed by its sha512 digest', () => {
    test('is stored, answered and pullable under that digest, byte for byte', async () => {
      const { body } = await makeImage(base, REPO);
      const d512 = sha512(body);
      const res = await putManifest(base, REPO, d512, body, MT.ociManifest);
      await expectStatus(res, 201);
      assert.equal(res.headers.get('docker-content-digest'), d512);
      assert.equal(locationPath(res), `/v2/${REPO}/manifests/${d512}`);
      const get = await fetch(url(d512), { headers: { accept: MT.ociManifest } });
      await expectStatus(get, 200);
      assert.equal(get.headers.get('docker-content-digest'), d512);
      assert.equal(get.headers.get('content-type'), MT.ociManifest);
      assert.equal(Buffer.from(await get.arrayBuffer()).toString('utf8'), body);
      const head = await fetch(url(d512), { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('docker-content-digest'), d512);
      assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(body)));
      // Stored under the client's digest only: the sha256 of the same bytes names nothing.
      await expectOciError(await fetch(url(sha256(body))), 404, 'MANIFEST_UNKNOWN');
      // The ECR views report the image under the same digest.
      const described = await ecr.send(new DescribeImagesCommand({ repositoryName: REPO, imageIds: [{ imageDigest: d512 }] }));
      assert.equal(described.imageDetails?.[0]?.imageDigest, d512);
      const got = await ecr.send(new BatchGetImageCommand({ repositoryName: REPO, imageIds: [{ imageDigest: d512 }] }));
      assert.equal(got.images?.[0]?.imageId?.imageDigest, d512);
      assert.equal(got.images?.[0]?.imageManifest, body);
      assert.deepEqual(got.failures, []);
    });

    test('is refused with DIGEST_INVALID when the body does not hash to it, and nothing is stored', async () => {
      const { body } = await makeImage(base, REPO);
      const wrong = sha512(body + ' ');
      await expectOciError(await putManifest(base, REPO, wrong, body, MT.ociManifest), 400, 'DIGEST_INVALID');
      await expectOciError(await fetch(url(wrong)), 404, 'MANIFEST_UNKNOWN');
      await expectOciError(await fetch(url(sha512(body))), 404, 'MANIFEST_UNKNOWN');
    });

    test('may be referenced by an index, which is refused while that sha512 manifest is absent', async () => {
      const { body } = await makeImage(base, REPO);
      const d512 = sha512(body);
      const index = JSON.stringify({
        schemaVersion: 2, mediaType: MT.ociIndex,
        manifests: [{ mediaType: MT.ociManifest, digest: d512, size: Buffer.byteLength(body), platform: { architecture: 'amd64', os: 'linux' } }],
      });
      await expectOciError(await putManifest(base, REPO, 'index-512', index, MT.ociIndex), [400, 404], 'MANIFEST_BLOB_UNKNOWN');
      await expectStatus(await putManifest(base, REPO, d512, body, MT.ociManifest), 201);
      await expectStatus(await putManifest(base, REPO, 'index-512', index, MT.ociIndex), 201);
      const got = await fetch(url('index-512'), { headers: { accept: MT.ociIndex } });
      await expectStatus(got, 200);
      assert.equal(got.headers.get('docker-content-digest'), sha256(index));
      assert.equal((await got.json() as { manifests: { digest: string }[] }).manifests[0].digest, d512);
      // The child cannot be deleted while the index refers to it.
      const del = await fetch(url(d512), { method: 'DELETE' });
      assert.notEqual(del.status, 202);
      await del.arrayBuffer();
    });

    test('by tag answers the sha512 digest, and DELETE by that digest removes it', async () => {
      const { body } = await makeImage(base, REPO);
      const d512 = sha512(body);
      const res = await fetch(`${url(d512)}?tag=five-twelve`, { method: 'PUT', headers: { 'content-type': MT.ociManifest }, body });
      await expectStatus(res, 201);
      const byTag = await fetch(url('five-twelve'), { method: 'HEAD' });
      assert.equal(byTag.status, 200);
      assert.equal(byTag.headers.get('docker-content-digest'), d512);
      const del = await fetch(url(d512), { method: 'DELETE' });
      await expectStatus(del, 202);
      await expectOciError(await fetch(url(d512)), 404, 'MANIFEST_UNKNOWN');
      assert.ok(!(await tagsOf()).includes('five-twelve'));
    });
  });

  describe('PUT by digest with ?tag= (distribution-spec 1.1)', () => {
    const put = (repo: string, ref: string, body: string, query: string) =>
      fetch(`${url(ref, repo)}?${query}`, { method: 'PUT', headers: { 'content-type': MT.ociManifest }, body });

    test('applies every tag and answers one OCI-Tag header per tag', async () => {
      const { body, digest } = await makeImage(base, REPO);
      const res = await put(REPO, digest, body, 'tag=v3&tag=v3.1&tag=latest-multi');
      await expectStatus(res, 201);
      assert.equal(res.headers.get('docker-content-digest'), digest);
      assert.equal(res.headers.get('oci-tag'), 'v3, v3.1, latest-multi');
      for (const t of ['v3', 'v3.1', 'latest-multi']) {
        const got = await fetch(url(t), { method: 'HEAD' });
        assert.equal(got.status, 200, t);
        assert.equal(got.headers.get('docker-content-digest'), digest, t);
      }
    });

    test('a push by digest without ?tag= answers no OCI-Tag header', async () => {
      const { body, digest } = await makeImage(base, REPO);
      const res = await putManifest(base, REPO, digest, body, MT.ociManifest);
      await expectStatus(res, 201);
      assert.equal(res.headers.get('oci-tag'), null);
    });

    test('a malformed tag is 400 TAG_INVALID and stores neither the manifest nor any tag', async () => {
      const { body, digest } = await makeImage(base, REPO);
      const res = await put(REPO, digest, body, 'tag=good-one&tag=-bad');
      await expectOciError(res, 400, 'TAG_INVALID');
      await expectOciError(await fetch(url(digest)), 404, 'MANIFEST_UNKNOWN');
      assert.ok(!(await tagsOf()).includes('good-one'));
      await expectOciError(await put(REPO, digest, body, 'tag='), 400, 'TAG_INVALID');
    });

    test('tag immutability applies to each tag, atomically with the manifest', async () => {
      const first = await makeImage(base, IMMUTABLE);
      await expectStatus(await put(IMMUTABLE, first.digest, first.body, 'tag=fixed'), 201);
      const second = await makeImage(base, IMMUTABLE);
      const res = await put(IMMUTABLE, second.digest, second.body, 'tag=fresh&tag=fixed');
      await expectOciError(res, 400, 'TAG_INVALID');
      await expectOciError(await fetch(url(second.digest, IMMUTABLE)), 404, 'MANIFEST_UNKNOWN');
      assert.deepEqual(await tagsOf(IMMUTABLE), ['fixed']);
      const fixed = await fetch(url('fixed', IMMUTABLE), { method: 'HEAD' });
      assert.equal(fixed.headers.get('docker-content-digest'), first.digest);
    });

    test('a push by tag ignores ?tag= (the parameters belong to pushes by digest)', async () => {
      const { body } = await makeImage(base, REPO);
      const res = await put(REPO, 'plain', body, 'tag=ignored-extra');
      await expectStatus(res, 201);
      assert.equal(res.headers.get('oci-tag'), null);
      assert.ok(!(await tagsOf()).includes('ignored-extra'));
    });
  });
});
