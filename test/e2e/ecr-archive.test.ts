// The archive storage class end to end, with the aws CLI, boto3 and the JS SDK against a listening
// Wharf: UpdateImageStorageClass archives an image, /v2/ and BatchGetImage then answer "not found",
// the list operations hide it unless their status filter asks, DescribeImages reports imageStatus and
// the archive/restore times, and a restore (or a re-push) makes it pullable again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateRepositoryCommand, DescribeImagesCommand, ListImageReferrersCommand, UpdateImageStorageClassCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { startWharf, type RunningWharf, authedFetch as fetch } from '../helpers/server.ts';
import { MEDIA } from '../helpers/oci-layout.ts';
import { ECR_CLIENTS, callEcr, closeSdkClient, ecrErr, ecrOk, requireClient } from './ecr-clients.ts';
import { buildArtifact, buildIndex, ecrClient, push, rejectsWith, smallImage } from './ecr-images-support.ts';

const ACCOUNT = '000000000000';
const NOT_FOUND = { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'Requested image not found' }] };
const notSupported = (why: string) => `The requested image storage class update is not supported: ${why}`;
/** A timestamp as epoch seconds (the SDK client helper hands nested Dates over as ISO strings). */
const secs = (v: unknown) => (typeof v === 'string' ? Date.parse(v) / 1000 : (v as number | undefined));

describe('UpdateImageStorageClass and archived images', () => {
  let w: RunningWharf;
  let ecr: ECRClient;

  before(async () => { w = await startWharf(); ecr = ecrClient(w); });
  after(async () => { ecr?.destroy(); if (w) closeSdkClient(w); await w?.stop(); });

  async function createRepo(name: string): Promise<string> {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
    return name;
  }

  /** GET and HEAD of a manifest over /v2/: status and (GET) body. */
  async function pull(repo: string, ref: string): Promise<{ get: number; head: number; body: any }> {
    const accept = [MEDIA.ociManifest, MEDIA.ociIndex, MEDIA.dockerManifest, MEDIA.dockerManifestList].join(', ');
    const g = await fetch(`${w.url}/v2/${repo}/manifests/${ref}`, { headers: { accept } });
    const text = await g.text();
    const h = await fetch(`${w.url}/v2/${repo}/manifests/${ref}`, { method: 'HEAD', headers: { accept } });
    await h.arrayBuffer();
    return { get: g.status, head: h.status, body: text ? JSON.parse(text) : undefined };
  }

  async function expectGone(repo: string, ...refs: string[]): Promise<void> {
    for (const ref of refs) {
      const p = await pull(repo, ref);
      assert.deepEqual({ get: p.get, head: p.head, body: p.body }, { get: 404, head: 404, body: NOT_FOUND }, `pull ${repo}:${ref}`);
    }
  }

  async function expectPullable(repo: string, ref: string, bytes: Buffer): Promise<void> {
    const g = await fetch(`${w.url}/v2/${repo}/manifests/${ref}`, { headers: { accept: [MEDIA.ociManifest, MEDIA.ociIndex].join(', ') } });
    assert.equal(g.status, 200, `pull ${repo}:${ref}`);
    assert.ok(Buffer.from(await g.arrayBuffer()).equals(bytes), 'the exact manifest bytes');
  }

  for (const client of ECR_CLIENTS) {
    test(`${client}: archive → pulls answer 404 → hidden from ListImages/DescribeImages unless filtered → restore → pullable again`, async (t) => {
      if (!requireClient(t, client)) return;
      const repo = await createRepo(`archive/${client}`);
      const img = smallImage();
      const digest = await push(w, repo, img, 'v1');
      const other = smallImage();
      await push(w, repo, other, 'other');
      const t0 = Date.now() / 1000;

      const archived = await ecrOk(w, client, 'UpdateImageStorageClass', { repositoryName: repo, imageId: { imageTag: 'v1' }, targetStorageClass: 'ARCHIVE' });
      assert.deepEqual(archived, { registryId: ACCOUNT, repositoryName: repo, imageId: { imageDigest: digest, imageTag: 'v1' }, imageStatus: 'ARCHIVED' });

      await expectGone(repo, 'v1', digest);
      const got = await ecrOk(w, client, 'BatchGetImage', { repositoryName: repo, imageIds: [{ imageTag: 'v1' }, { imageDigest: digest }] });
      assert.deepEqual(got, {
        images: [],
        failures: [
          { imageId: { imageTag: 'v1' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' },
          { imageId: { imageDigest: digest }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' },
        ],
      });

      // A layer only archived images use is ARCHIVED to BatchCheckLayerAvailability; the other image's is not.
      const layerOf = (b: Buffer) => JSON.parse(b.toString('utf8')).layers[0].digest as string;
      const availability = async () => Object.fromEntries(((await ecrOk(w, client, 'BatchCheckLayerAvailability',
        { repositoryName: repo, layerDigests: [layerOf(img.bytes), layerOf(other.bytes)] })).layers as any[]).map((l) => [l.layerDigest, [l.layerAvailability, typeof l.layerSize]]));
      assert.deepEqual(await availability(), { [layerOf(img.bytes)]: ['ARCHIVED', 'number'], [layerOf(other.bytes)]: ['AVAILABLE', 'number'] });

      // Hidden by default, shown when the filter asks.
      const listed = async (filter?: Record<string, string>) =>
        ((await ecrOk(w, client, 'ListImages', { repositoryName: repo, ...(filter ? { filter } : {}) })).imageIds as any[]).map((i) => i.imageTag).sort();
      assert.deepEqual(await listed(), ['other']);
      assert.deepEqual(await listed({ imageStatus: 'ACTIVE' }), ['other']);
      assert.deepEqual(await listed({ imageStatus: 'ARCHIVED' }), ['v1']);
      assert.deepEqual(await listed({ imageStatus: 'ANY' }), ['other', 'v1']);
      assert.deepEqual(await listed({ imageStatus: 'ACTIVATING' }), []);
      assert.deepEqual(await listed({ imageStatus: 'ARCHIVED', tagStatus: 'UNTAGGED' }), []);
      const described = async (filter?: Record<string, string>) =>
        (await ecrOk(w, client, 'DescribeImages', { repositoryName: repo, ...(filter ? { filter } : {}) })).imageDetails as any[];
      assert.deepEqual((await described()).map((d) => [d.imageTags, d.imageStatus, d.lastArchivedAt]), [[['other'], 'ACTIVE', undefined]]);
      const [a] = await described({ imageStatus: 'ARCHIVED' });
      assert.equal(a.imageDigest, digest);
      assert.deepEqual(a.imageTags, ['v1']);
      assert.equal(a.imageStatus, 'ARCHIVED');
      const archivedAt = secs(a.lastArchivedAt)!;
      assert.ok(Math.abs(archivedAt - t0) < 60, `lastArchivedAt ${a.lastArchivedAt} is now`);
      assert.equal(a.lastActivatedAt, undefined);
      assert.equal((await described({ imageStatus: 'ANY' })).length, 2);
      // Named by id, an archived image is described whatever the filter.
      const byId = await ecrOk(w, client, 'DescribeImages', { repositoryName: repo, imageIds: [{ imageTag: 'v1' }] });
      assert.deepEqual((byId.imageDetails as any[]).map((d) => d.imageStatus), ['ARCHIVED']);

      const restored = await ecrOk(w, client, 'UpdateImageStorageClass', { repositoryName: repo, imageId: { imageDigest: digest }, targetStorageClass: 'STANDARD' });
      assert.deepEqual(restored, { registryId: ACCOUNT, repositoryName: repo, imageId: { imageDigest: digest }, imageStatus: 'ACTIVATING' });
      // Wharf's restore finishes within the call: the next read shows ACTIVE.
      const [r] = (await ecrOk(w, client, 'DescribeImages', { repositoryName: repo, imageIds: [{ imageDigest: digest }] })).imageDetails as any[];
      assert.equal(r.imageStatus, 'ACTIVE');
      assert.equal(secs(r.lastArchivedAt), archivedAt, 'lastArchivedAt is kept');
      const activatedAt = secs(r.lastActivatedAt)!;
      assert.ok(activatedAt >= archivedAt && Math.abs(activatedAt - t0) < 60, `lastActivatedAt ${r.lastActivatedAt} is now`);
      assert.deepEqual(await listed(), ['other', 'v1']);
      assert.deepEqual(await listed({ imageStatus: 'ARCHIVED' }), []);
      await expectPullable(repo, 'v1', img.bytes);
      await expectPullable(repo, digest, img.bytes);
      assert.deepEqual(await availability(), { [layerOf(img.bytes)]: ['AVAILABLE', 'number'], [layerOf(other.bytes)]: ['AVAILABLE', 'number'] });
      const again = await ecrOk(w, client, 'BatchGetImage', { repositoryName: repo, imageIds: [{ imageTag: 'v1' }] });
      assert.equal((again.images as any[])[0].imageManifest, img.bytes.toString('utf8'));
    });

    test(`${client}: errors of UpdateImageStorageClass`, async (t) => {
      if (!requireClient(t, client)) return;
      const repo = await createRepo(`archive-errors/${client}`);
      const img = smallImage();
      const digest = await push(w, repo, img, 'v1');
      const call = (imageId: Record<string, string>, targetStorageClass: string, repositoryName = repo) =>
        ecrErr(w, client, 'UpdateImageStorageClass', { repositoryName, imageId, targetStorageClass });
      const err = async (p: ReturnType<typeof call>) => { const e = await p; return [e.code, e.message]; };

      assert.deepEqual(await err(call({ imageTag: 'nope' }, 'ARCHIVE')), ['ImageNotFoundException',
        `The image with imageId {imageDigest:'null', imageTag:'nope'} does not exist within the repository with name '${repo}' in the registry with id '${ACCOUNT}'`]);
      assert.deepEqual(await err(call({ imageTag: 'v1' }, 'ARCHIVE', 'archive-errors/none')), ['RepositoryNotFoundException',
        `The repository with name 'archive-errors/none' does not exist in the registry with id '${ACCOUNT}'`]);
      assert.deepEqual(await err(call({ imageTag: 'v1' }, 'STANDARD')), ['ImageStorageClassUpdateNotSupportedException', notSupported('the image is not archived.')]);
      assert.deepEqual(await err(call({ imageDigest: 'sha256:zz' }, 'ARCHIVE')), ['InvalidParameterException',
        "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'"]);
      assert.deepEqual(await err(call({ imageTag: 'v1', imageDigest: 'sha256:' + 'a'.repeat(64) }, 'ARCHIVE')), ['InvalidParameterException',
        'Invalid request parameters: given tag does not map to the given digest']);
      assert.deepEqual(await err(call({}, 'ARCHIVE')), ['InvalidParameterException', 'Invalid request parameters: both tag and digest cannot be null']);
      const bad = await call({ imageTag: 'v1' }, 'GLACIER');
      assert.equal(bad.code, 'ValidationException');
      assert.match(bad.message, /Value 'GLACIER' at 'targetStorageClass' failed to satisfy constraint: Member must satisfy enum value set: \[STANDARD, ARCHIVE\]/);
      await ecrOk(w, client, 'UpdateImageStorageClass', { repositoryName: repo, imageId: { imageDigest: digest }, targetStorageClass: 'ARCHIVE' });
      assert.deepEqual(await err(call({ imageTag: 'v1' }, 'ARCHIVE')), ['ImageStorageClassUpdateNotSupportedException', notSupported('the image is already archived.')]);
    });
  }

  test('an index child cannot be archived while the index is active; archiving the index leaves its children pullable; restoring it restores them', async () => {
    const repo = await createRepo('archive/index');
    const amd = smallImage({ arch: 'amd64' });
    const arm = smallImage({ arch: 'arm64' });
    const index = buildIndex([amd, arm]);
    const indexDigest = await push(w, repo, index, 'multi');
    const archive = (imageDigest: string) => ecr.send(new UpdateImageStorageClassCommand({ repositoryName: repo, imageId: { imageDigest }, targetStorageClass: 'ARCHIVE' }));
    const restore = (imageDigest: string) => ecr.send(new UpdateImageStorageClassCommand({ repositoryName: repo, imageId: { imageDigest }, targetStorageClass: 'STANDARD' }));
    await rejectsWith(archive(amd.descriptor.digest), 'ImageStorageClassUpdateNotSupportedException',
      notSupported('the image is referenced by a manifest list that is not archived; archive the manifest list first.'));
    await expectPullable(repo, amd.descriptor.digest, amd.bytes);

    await archive(indexDigest);
    await expectGone(repo, 'multi', indexDigest);
    await expectPullable(repo, amd.descriptor.digest, amd.bytes);
    // With the index archived, its children may follow it into the archive.
    await archive(amd.descriptor.digest);
    await expectGone(repo, amd.descriptor.digest);
    // A new index naming the archived child is refused like one naming a missing child.
    const other = buildIndex([amd]);
    const put = await fetch(`${w.url}/v2/${repo}/manifests/other`, { method: 'PUT', headers: { 'content-type': MEDIA.ociIndex }, body: new Uint8Array(other.bytes) });
    assert.equal(put.status, 400);
    assert.equal(((await put.json()) as any).errors[0].code, 'MANIFEST_BLOB_UNKNOWN');

    // Restoring the index brings the archived child back with it: the index is whole again.
    await restore(indexDigest);
    await expectPullable(repo, 'multi', index.bytes);
    await expectPullable(repo, amd.descriptor.digest, amd.bytes);
    const d = await ecr.send(new DescribeImagesCommand({ repositoryName: repo, imageIds: [{ imageDigest: amd.descriptor.digest }, { imageDigest: arm.descriptor.digest }] }));
    assert.deepEqual(d.imageDetails!.map((x) => [x.imageStatus, !!x.lastArchivedAt, !!x.lastActivatedAt]), [['ACTIVE', true, true], ['ACTIVE', false, false]]);
  });

  test('pushing an archived image again restores it at once, as in ECR', async () => {
    const repo = await createRepo('archive/repush');
    const img = smallImage();
    const digest = await push(w, repo, img, 'v1');
    await ecr.send(new UpdateImageStorageClassCommand({ repositoryName: repo, imageId: { imageTag: 'v1' }, targetStorageClass: 'ARCHIVE' }));
    await expectGone(repo, 'v1');
    await push(w, repo, img, 'v2');
    await expectPullable(repo, 'v1', img.bytes);
    const [d] = (await ecr.send(new DescribeImagesCommand({ repositoryName: repo }))).imageDetails!;
    assert.equal(d.imageDigest, digest);
    assert.deepEqual(d.imageTags, ['v1', 'v2']);
    assert.equal(d.imageStatus, 'ACTIVE');
    assert.ok(d.lastActivatedAt instanceof Date && d.lastArchivedAt instanceof Date);
  });

  test('archived referrers leave /v2/ referrers and ListImageReferrers unless artifactStatus asks for them', async () => {
    const repo = await createRepo('archive/referrers');
    const img = smallImage();
    await push(w, repo, img, 'v1');
    const subject = { mediaType: img.descriptor.mediaType, digest: img.descriptor.digest, size: img.descriptor.size };
    const sig = buildArtifact({ artifactType: 'application/vnd.example.sig', subject });
    const sbom = buildArtifact({ artifactType: 'application/vnd.example.sbom', subject });
    await push(w, repo, sig);
    await push(w, repo, sbom);
    await ecr.send(new UpdateImageStorageClassCommand({ repositoryName: repo, imageId: { imageDigest: sig.descriptor.digest }, targetStorageClass: 'ARCHIVE' }));

    const oci = await fetch(`${w.url}/v2/${repo}/referrers/${img.descriptor.digest}`);
    assert.deepEqual(((await oci.json()) as any).manifests.map((m: any) => m.digest), [sbom.descriptor.digest]);
    const list = async (artifactStatus?: string) => (await ecr.send(new ListImageReferrersCommand({
      repositoryName: repo, subjectId: { imageDigest: img.descriptor.digest }, ...(artifactStatus ? { filter: { artifactStatus: artifactStatus as any } } : {}),
    }))).referrers!.map((r) => [r.digest, r.artifactStatus]);
    assert.deepEqual(await list(), [[sbom.descriptor.digest, 'ACTIVE']]);
    assert.deepEqual(await list('ARCHIVED'), [[sig.descriptor.digest, 'ARCHIVED']]);
    assert.deepEqual(await list('ANY'), [[sbom.descriptor.digest, 'ACTIVE'], [sig.descriptor.digest, 'ARCHIVED']]
      .sort((x, y) => (x[0] < y[0] ? -1 : 1)));
    assert.deepEqual(await list('ACTIVATING'), []);
  });

  test('aws CLI: archived images can still be deleted with batch-delete-image', async (t) => {
    if (!requireClient(t, 'aws-cli')) return;
    const repo = await createRepo('archive/delete');
    const digest = await push(w, repo, smallImage(), 'v1');
    await ecrOk(w, 'aws-cli', 'UpdateImageStorageClass', { repositoryName: repo, imageId: { imageTag: 'v1' }, targetStorageClass: 'ARCHIVE' });
    const del = await callEcr(w, 'aws-cli', 'BatchDeleteImage', { repositoryName: repo, imageIds: [{ imageDigest: digest }] });
    assert.deepEqual(del, { ok: true, out: { imageIds: [{ imageDigest: digest, imageTag: 'v1' }], failures: [] } });
    const any = await ecrOk(w, 'aws-cli', 'ListImages', { repositoryName: repo, filter: { imageStatus: 'ANY' } });
    assert.deepEqual(any.imageIds, []);
  });
});
