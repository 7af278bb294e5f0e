// ECR image API writes with @aws-sdk/client-ecr against a listening Wharf: PutImage (retag, new
// images, every validation error) and BatchDeleteImage (untag, last tag, by digest, index children),
// checked from both planes: what one writes, the other serves.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BatchDeleteImageCommand, BatchGetImageCommand, CreateRepositoryCommand, DescribeImagesCommand, ListImagesCommand, PutImageCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { createHash } from 'node:crypto';
import { startWharf, type RunningWharf } from '../helpers/server.ts';
import { RegistryClient } from '../helpers/registry-client.ts';
import { MEDIA, sha256 } from '../helpers/oci-layout.ts';
import { buildIndex, ecrClient, push, pushBlobs, rejectsWith, smallImage } from './ecr-images-support.ts';

const ACCOUNT = '000000000000';

describe('ECR image API (SDK v3): writes', () => {
  let w: RunningWharf;
  let ecr: ECRClient;
  let oci: RegistryClient;
  let n = 0;

  before(async () => { w = await startWharf(); ecr = ecrClient(w); oci = new RegistryClient(w.url); });
  after(async () => { ecr?.destroy(); await w?.stop(); });

  async function repo(): Promise<string> {
    const name = `writes/r${++n}`;
    await ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
    return name;
  }

  async function tagsOf(r: string): Promise<string[]> {
    return (await oci.tags(r)).json.tags;
  }

  test('retag with BatchGetImage + PutImage (the documented flow): the new tag is served by /v2/', async () => {
    const r = await repo();
    const img = smallImage();
    await push(w, r, img, 'v1');
    const got = await ecr.send(new BatchGetImageCommand({ repositoryName: r, imageIds: [{ imageTag: 'v1' }] }));
    const manifest = got.images![0].imageManifest!;
    const out = await ecr.send(new PutImageCommand({ repositoryName: r, imageManifest: manifest, imageTag: 'release' }));
    assert.deepEqual(out.image, {
      registryId: ACCOUNT, repositoryName: r, imageId: { imageDigest: img.descriptor.digest, imageTag: 'release' },
      imageManifest: manifest, imageManifestMediaType: MEDIA.ociManifest,
    });
    assert.deepEqual(await tagsOf(r), ['release', 'v1']);
    const pulled = await oci.getManifest(r, 'release');
    assert.equal(pulled.status, 200);
    assert.equal(pulled.body.toString('utf8'), img.bytes.toString('utf8'));
    const d = await ecr.send(new DescribeImagesCommand({ repositoryName: r }));
    assert.deepEqual(d.imageDetails!.map((x) => x.imageTags), [['release', 'v1']]);
  });

  test('PutImage stores a new image whose blobs came over /v2/, with the exact bytes and digest; untagged when no tag', async () => {
    const r = await repo();
    const img = smallImage({ docker: true });
    await pushBlobs(w, r, img);
    const text = JSON.stringify(img.json, null, 2);
    const out = await ecr.send(new PutImageCommand({ repositoryName: r, imageManifest: text, imageDigest: sha256(text) }));
    assert.deepEqual(out.image!.imageId, { imageDigest: sha256(text) });
    assert.equal(out.image!.imageManifestMediaType, MEDIA.dockerManifest);
    const pulled = await oci.getManifest(r, sha256(text));
    assert.equal(pulled.status, 200);
    assert.equal(pulled.body.toString('utf8'), text);
    assert.equal(pulled.headers.get('content-type'), MEDIA.dockerManifest);
    const ids = await ecr.send(new ListImagesCommand({ repositoryName: r }));
    assert.deepEqual(ids.imageIds, [{ imageDigest: sha256(text) }]);
    const again = await ecr.send(new PutImageCommand({ repositoryName: r, imageManifest: text }));
    assert.equal(again.image!.imageId!.imageDigest, sha256(text), 'an untagged re-put is idempotent');
  });

  test('PutImage with a sha512 imageDigest stores the image under that digest, for both planes', async () => {
    const r = await repo();
    const img = smallImage();
    await pushBlobs(w, r, img);
    const text = img.bytes.toString('utf8');
    const d512 = `sha512:${createHash('sha512').update(text).digest('hex')}`;
    const out = await ecr.send(new PutImageCommand({ repositoryName: r, imageManifest: text, imageDigest: d512, imageTag: 'five12' }));
    assert.deepEqual(out.image!.imageId, { imageDigest: d512, imageTag: 'five12' });
    const ids = await ecr.send(new ListImagesCommand({ repositoryName: r }));
    assert.deepEqual(ids.imageIds, [{ imageDigest: d512, imageTag: 'five12' }]);
    const pulled = await oci.getManifest(r, 'five12');
    assert.equal(pulled.status, 200);
    assert.equal(pulled.headers.get('docker-content-digest'), d512);
    assert.equal((await oci.getManifest(r, d512)).body.toString('utf8'), text);
    await rejectsWith(ecr.send(new PutImageCommand({ repositoryName: r, imageManifest: text, imageDigest: `sha512:${'0'.repeat(128)}` })),
      'ImageDigestDoesNotMatchException');
  });

  test('PutImage takes the media type from imageManifestMediaType when the manifest has none', async () => {
    const r = await repo();
    const img = smallImage();
    await pushBlobs(w, r, img);
    const { mediaType: _, ...bare } = img.json;
    const text = JSON.stringify(bare);
    const out = await ecr.send(new PutImageCommand({ repositoryName: r, imageManifest: text, imageManifestMediaType: MEDIA.ociManifest, imageTag: 'bare' }));
    assert.equal(out.image!.imageManifestMediaType, MEDIA.ociManifest);
    const got = await ecr.send(new BatchGetImageCommand({ repositoryName: r, imageIds: [{ imageTag: 'bare' }] }));
    assert.equal(got.images![0].imageManifestMediaType, MEDIA.ociManifest);
    assert.equal(got.images![0].imageManifest, text);
    await rejectsWith(ecr.send(new PutImageCommand({ repositoryName: r, imageManifest: text, imageTag: 'x' })),
      'InvalidParameterException', 'image manifest mediatype not provided in manifest or parameter');
  });

  test('PutImage of the manifest a tag already points at is ImageAlreadyExistsException; /v2/ re-push stays idempotent', async () => {
    const r = await repo();
    const img = smallImage();
    await push(w, r, img, 'v1');
    await rejectsWith(ecr.send(new PutImageCommand({ repositoryName: r, imageManifest: img.bytes.toString('utf8'), imageTag: 'v1' })),
      'ImageAlreadyExistsException',
      `Image with digest '${img.descriptor.digest}' and tag 'v1' already exists in the repository with name '${r}' in registry with id '${ACCOUNT}'`);
    const again = await oci.putManifest(r, 'v1', img.bytes, MEDIA.ociManifest);
    assert.equal(again.status, 201);
    const other = smallImage();
    await pushBlobs(w, r, other);
    await ecr.send(new PutImageCommand({ repositoryName: r, imageManifest: other.bytes.toString('utf8'), imageTag: 'v1' }));
    assert.equal((await oci.headManifest(r, 'v1')).headers.get('docker-content-digest'), other.descriptor.digest, 'a mutable tag moves');
    const ids = await ecr.send(new ListImagesCommand({ repositoryName: r }));
    assert.deepEqual(ids.imageIds!.map((i) => i.imageTag ?? 'untagged').sort(), ['untagged', 'v1'], 'the previous image stays, untagged');
  });

  test('PutImage errors: missing layers, missing index children, digest mismatch, bad JSON, bad media type, no repository', async () => {
    const r = await repo();
    const img = smallImage();
    await rejectsWith(ecr.send(new PutImageCommand({ repositoryName: r, imageManifest: img.bytes.toString('utf8'), imageTag: 'v1' })),
      'LayersNotFoundException', /^Layers with digests '\[sha256:[0-9a-f]{64}\]' required for pushing image into repository with name 'writes\/r\d+' in the registry with id '000000000000' do not exist$/);
    const child = smallImage();
    await pushBlobs(w, r, child);
    const idx = buildIndex([child]);
    await rejectsWith(ecr.send(new PutImageCommand({ repositoryName: r, imageManifest: idx.bytes.toString('utf8'), imageTag: 'multi' })),
      'ReferencedImagesNotFoundException', `Manifests with digests '[${child.descriptor.digest}]' referenced by the image are not in the repository with name '${r}' in the registry with id '${ACCOUNT}'`);
    await push(w, r, child);
    await ecr.send(new PutImageCommand({ repositoryName: r, imageManifest: idx.bytes.toString('utf8'), imageTag: 'multi' }));
    const wrong = 'sha256:' + '0'.repeat(64);
    await rejectsWith(ecr.send(new PutImageCommand({ repositoryName: r, imageManifest: child.bytes.toString('utf8'), imageDigest: wrong })),
      'ImageDigestDoesNotMatchException', `Provided image digest '${wrong}' does not match the digest of the manifest '${child.descriptor.digest}'`);
    await rejectsWith(ecr.send(new PutImageCommand({ repositoryName: r, imageManifest: '{not json', imageTag: 'x' })),
      'InvalidParameterException', "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'");
    await rejectsWith(ecr.send(new PutImageCommand({ repositoryName: r, imageManifest: child.bytes.toString('utf8'), imageManifestMediaType: 'text/plain', imageTag: 'x' })),
      'InvalidParameterException', /imageManifestMediaType/);
    await rejectsWith(ecr.send(new PutImageCommand({ repositoryName: r, imageManifest: child.bytes.toString('utf8'), imageTag: 'bad tag' })),
      'InvalidParameterException', /invalid tag 'bad tag'/);
    await rejectsWith(ecr.send(new PutImageCommand({ repositoryName: 'writes/none', imageManifest: child.bytes.toString('utf8') })),
      'RepositoryNotFoundException', `The repository with name 'writes/none' does not exist in the registry with id '${ACCOUNT}'`);
  });

  test('BatchDeleteImage by tag removes only that tag while others remain; the last tag takes the image with it', async () => {
    const r = await repo();
    const img = smallImage();
    await push(w, r, img, 'a');
    await push(w, r, img, 'b');
    const first = await ecr.send(new BatchDeleteImageCommand({ repositoryName: r, imageIds: [{ imageTag: 'a' }] }));
    assert.deepEqual(first, { ...first, imageIds: [{ imageDigest: img.descriptor.digest, imageTag: 'a' }], failures: [] });
    assert.deepEqual(await tagsOf(r), ['b']);
    assert.equal((await oci.getManifest(r, img.descriptor.digest)).status, 200, 'the image stays while tagged');
    const last = await ecr.send(new BatchDeleteImageCommand({ repositoryName: r, imageIds: [{ imageTag: 'b', imageDigest: img.descriptor.digest }] }));
    assert.deepEqual(last.imageIds, [{ imageDigest: img.descriptor.digest, imageTag: 'b' }]);
    assert.equal((await oci.getManifest(r, img.descriptor.digest)).status, 404, 'deleting the last tag deleted the image');
    assert.deepEqual((await ecr.send(new ListImagesCommand({ repositoryName: r }))).imageIds, []);
  });

  test('BatchDeleteImage by digest removes the image and all its tags, one imageId per tag (the digest alone when untagged)', async () => {
    const r = await repo();
    const img = smallImage();
    const loose = smallImage();
    for (const t of ['x', 'y', 'z']) await push(w, r, img, t);
    await push(w, r, loose);
    const out = await ecr.send(new BatchDeleteImageCommand({ repositoryName: r, imageIds: [{ imageDigest: img.descriptor.digest }, { imageDigest: loose.descriptor.digest }, { imageTag: 'x' }] }));
    assert.deepEqual(out.imageIds, [
      { imageDigest: img.descriptor.digest, imageTag: 'x' }, { imageDigest: img.descriptor.digest, imageTag: 'y' },
      { imageDigest: img.descriptor.digest, imageTag: 'z' }, { imageDigest: loose.descriptor.digest },
    ]);
    assert.deepEqual(out.failures, [{ imageId: { imageTag: 'x' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }]);
    assert.deepEqual(await tagsOf(r), []);
    assert.equal((await oci.getManifest(r, loose.descriptor.digest)).status, 404);
  });

  test('BatchDeleteImage failures: missing, malformed, mismatched ids; unknown repository', async () => {
    const r = await repo();
    const img = smallImage();
    await push(w, r, img, 'v1');
    const absent = 'sha256:' + 'a'.repeat(64);
    const out = await ecr.send(new BatchDeleteImageCommand({
      repositoryName: r, imageIds: [{ imageTag: 'nope' }, { imageDigest: absent }, {}, { imageDigest: 'sha256:xyz' }, { imageTag: 'v1', imageDigest: absent }],
    }));
    assert.deepEqual(out.imageIds, []);
    assert.deepEqual(out.failures, [
      { imageId: { imageTag: 'nope' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' },
      { imageId: { imageDigest: absent }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' },
      { imageId: {}, failureCode: 'MissingDigestAndTag', failureReason: 'Invalid request parameters: both tag and digest cannot be null' },
      { imageId: { imageDigest: 'sha256:xyz' }, failureCode: 'InvalidImageDigest', failureReason: "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'" },
      { imageId: { imageTag: 'v1', imageDigest: absent }, failureCode: 'ImageTagDoesNotMatchDigest', failureReason: 'Invalid request parameters: given tag does not map to the given digest' },
    ]);
    assert.deepEqual(await tagsOf(r), ['v1'], 'nothing was deleted');
    await rejectsWith(ecr.send(new BatchDeleteImageCommand({ repositoryName: 'writes/none', imageIds: [{ imageTag: 'v1' }] })), 'RepositoryNotFoundException');
  });

  test('an image an index references cannot be deleted while the index exists (untagging it keeps the image)', async () => {
    const r = await repo();
    const a = smallImage({ arch: 'amd64' });
    const b = smallImage({ arch: 'arm64' });
    const idx = buildIndex([a, b]);
    await push(w, r, idx, 'multi');
    await push(w, r, a, 'amd64-only');
    const refused = await ecr.send(new BatchDeleteImageCommand({ repositoryName: r, imageIds: [{ imageDigest: a.descriptor.digest }] }));
    assert.deepEqual(refused.imageIds, []);
    assert.deepEqual(refused.failures, [{
      imageId: { imageDigest: a.descriptor.digest }, failureCode: 'ImageReferencedByManifestList', failureReason: 'Requested image is referenced by a manifest list',
    }]);
    const untag = await ecr.send(new BatchDeleteImageCommand({ repositoryName: r, imageIds: [{ imageTag: 'amd64-only' }] }));
    assert.deepEqual(untag.imageIds, [{ imageDigest: a.descriptor.digest, imageTag: 'amd64-only' }]);
    assert.equal((await oci.getManifest(r, a.descriptor.digest)).status, 200, 'still there: the index needs it');
    const all = await ecr.send(new BatchDeleteImageCommand({ repositoryName: r, imageIds: [{ imageTag: 'multi' }, { imageDigest: a.descriptor.digest }, { imageDigest: b.descriptor.digest }] }));
    assert.deepEqual(all.failures, []);
    assert.deepEqual(all.imageIds, [
      { imageDigest: idx.descriptor.digest, imageTag: 'multi' }, { imageDigest: a.descriptor.digest }, { imageDigest: b.descriptor.digest },
    ]);
    assert.deepEqual((await ecr.send(new ListImagesCommand({ repositoryName: r }))).imageIds, []);
  });
});
