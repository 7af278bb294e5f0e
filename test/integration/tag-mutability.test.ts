// Tag immutability on both planes (ECR §5): /v2/ manifest PUT answers TAG_INVALID and PutImage
// ImageTagAlreadyExistsException, with the same text, for every mode and wildcard exclusion filter.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchDeleteImageCommand, CreateRepositoryCommand, PutImageCommand, type ECRClient, type ImageTagMutability } from '@aws-sdk/client-ecr';
import { startWharf, type RunningWharf } from '../helpers/server.ts';
import { RegistryClient } from '../helpers/registry-client.ts';
import { buildImage, type BuiltImage } from '../helpers/oci-layout.ts';
import { ecrClient, rejectsWith } from '../e2e/ecr-images-support.ts';

const immutableText = (tag: string, repo: string) =>
  `The image tag '${tag}' already exists in the '${repo}' repository and cannot be overwritten because the tag is immutable.`;

describe('tag mutability on /v2/ and PutImage', () => {
  let w: RunningWharf;
  let ecr: ECRClient;
  let oci: RegistryClient;

  before(async () => { w = await startWharf(); ecr = ecrClient(w); oci = new RegistryClient(w.url); });
  after(async () => { ecr?.destroy(); await w?.stop(); });

  async function createRepo(name: string, mode: ImageTagMutability, filters?: string[]): Promise<string> {
    await ecr.send(new CreateRepositoryCommand({
      repositoryName: name, imageTagMutability: mode,
      ...(filters ? { imageTagMutabilityExclusionFilters: filters.map((filter) => ({ filterType: 'WILDCARD' as const, filter })) } : {}),
    }));
    return name;
  }

  /** A fresh image with its blobs already in `repo` (so either plane can store its manifest). */
  async function image(repo: string): Promise<BuiltImage> {
    const img = buildImage({ layers: ['gzip'], layerBytes: 32 });
    for (const b of img.blobs.values()) await oci.ensureBlob(repo, b);
    return img;
  }

  const v2 = (repo: string, ref: string, img: BuiltImage) => oci.putManifest(repo, ref, img.bytes, img.descriptor.mediaType);
  const api = (repo: string, tag: string | undefined, img: BuiltImage) =>
    ecr.send(new PutImageCommand({ repositoryName: repo, imageManifest: img.bytes.toString('utf8'), ...(tag ? { imageTag: tag } : {}) }));

  async function expectV2Immutable(repo: string, tag: string, img: BuiltImage): Promise<void> {
    const r = await v2(repo, tag, img);
    assert.equal(r.status, 400, r.describe());
    assert.deepEqual(r.json.errors.map((e: any) => [e.code, e.message]), [['TAG_INVALID', immutableText(tag, repo)]]);
  }

  async function expectApiImmutable(repo: string, tag: string, img: BuiltImage): Promise<void> {
    await rejectsWith(api(repo, tag, img), 'ImageTagAlreadyExistsException', immutableText(tag, repo));
  }

  async function digestOf(repo: string, tag: string): Promise<string | null> {
    return (await oci.headManifest(repo, tag)).headers.get('docker-content-digest');
  }

  test('IMMUTABLE: an existing tag cannot be re-pointed over either plane, not even to the same digest', async () => {
    const repo = await createRepo('mut/immutable', 'IMMUTABLE');
    const one = await image(repo);
    const two = await image(repo);
    assert.equal((await v2(repo, 'v1', one)).status, 201);
    await expectV2Immutable(repo, 'v1', two);
    await expectV2Immutable(repo, 'v1', one);
    await expectApiImmutable(repo, 'v1', two);
    await expectApiImmutable(repo, 'v1', one);
    assert.equal(await digestOf(repo, 'v1'), one.descriptor.digest, 'the tag never moved');
    await api(repo, 'api-tag', two);
    await expectV2Immutable(repo, 'api-tag', one);
    await expectApiImmutable(repo, 'api-tag', one);
  });

  test('IMMUTABLE: new tags, untagged pushes and delete-then-push still work', async () => {
    const repo = await createRepo('mut/immutable-ok', 'IMMUTABLE');
    const one = await image(repo);
    const two = await image(repo);
    assert.equal((await v2(repo, 'v1', one)).status, 201);
    assert.equal((await v2(repo, 'v1-again', one)).status, 201, 'a new tag on an existing image');
    await api(repo, 'v1-api', one);
    assert.equal((await v2(repo, two.descriptor.digest, two)).status, 201, 'push by digest');
    assert.equal((await v2(repo, two.descriptor.digest, two)).status, 201, 'and again: no tag, nothing immutable');
    const untagged = await api(repo, undefined, two);
    assert.equal(untagged.image!.imageId!.imageDigest, two.descriptor.digest);
    await ecr.send(new BatchDeleteImageCommand({ repositoryName: repo, imageIds: [{ imageTag: 'v1' }] }));
    assert.equal((await v2(repo, 'v1', two)).status, 201, 'after deleting the tag it can be pushed anew');
    assert.equal(await digestOf(repo, 'v1'), two.descriptor.digest);
  });

  test('MUTABLE: tags move on both planes; same-digest re-push is idempotent on /v2/ but ImageAlreadyExists on PutImage', async () => {
    const repo = await createRepo('mut/mutable', 'MUTABLE');
    const one = await image(repo);
    const two = await image(repo);
    assert.equal((await v2(repo, 'latest', one)).status, 201);
    assert.equal((await v2(repo, 'latest', one)).status, 201);
    assert.equal((await v2(repo, 'latest', two)).status, 201);
    assert.equal(await digestOf(repo, 'latest'), two.descriptor.digest);
    await api(repo, 'latest', one);
    assert.equal(await digestOf(repo, 'latest'), one.descriptor.digest);
    await rejectsWith(api(repo, 'latest', one), 'ImageAlreadyExistsException');
  });

  test('MUTABLE_WITH_EXCLUSION: tags matching a filter (whole-tag wildcard) are immutable, the rest move', async () => {
    const repo = await createRepo('mut/mutable-excl', 'MUTABLE_WITH_EXCLUSION', ['release-*', 'stable']);
    const one = await image(repo);
    const two = await image(repo);
    for (const tag of ['release-1.0', 'release-', 'stable', 'latest', 'xrelease-1', 'stable2']) {
      assert.equal((await v2(repo, tag, one)).status, 201, tag);
    }
    for (const tag of ['release-1.0', 'release-', 'stable']) {
      await expectV2Immutable(repo, tag, two);
      await expectApiImmutable(repo, tag, two);
      assert.equal(await digestOf(repo, tag), one.descriptor.digest, tag);
    }
    for (const [i, tag] of ['latest', 'xrelease-1', 'stable2'].entries()) {
      if (i % 2 === 0) assert.equal((await v2(repo, tag, two)).status, 201, tag);
      else await api(repo, tag, two);
      assert.equal(await digestOf(repo, tag), two.descriptor.digest, `${tag} moved`);
    }
  });

  test('IMMUTABLE_WITH_EXCLUSION: only tags matching a filter may move', async () => {
    const repo = await createRepo('mut/immutable-excl', 'IMMUTABLE_WITH_EXCLUSION', ['latest', 'dev-*']);
    const one = await image(repo);
    const two = await image(repo);
    for (const tag of ['latest', 'dev-feature', 'dev-', 'v1', 'latest2', 'my-dev-x']) {
      assert.equal((await v2(repo, tag, one)).status, 201, tag);
    }
    assert.equal((await v2(repo, 'latest', two)).status, 201);
    await api(repo, 'dev-feature', two);
    assert.equal((await v2(repo, 'dev-', two)).status, 201);
    for (const tag of ['latest', 'dev-feature', 'dev-']) assert.equal(await digestOf(repo, tag), two.descriptor.digest, `${tag} moved`);
    for (const tag of ['v1', 'latest2', 'my-dev-x']) {
      await expectV2Immutable(repo, tag, two);
      await expectApiImmutable(repo, tag, two);
      await expectV2Immutable(repo, tag, one);
      assert.equal(await digestOf(repo, tag), one.descriptor.digest, `${tag} stayed`);
    }
  });
});
