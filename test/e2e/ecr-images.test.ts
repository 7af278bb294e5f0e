// ECR image API read operations with @aws-sdk/client-ecr against a listening Wharf: DescribeImages,
// ListImages (both with paginators and tagStatus filters), BatchGetImage and ListImageReferrers, over
// images pushed through /v2/ (one model for both planes), with every error a caller can provoke.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BatchGetImageCommand, CreateRepositoryCommand, DescribeImagesCommand, ListImageReferrersCommand, ListImagesCommand,
  paginateDescribeImages, paginateListImages, type ECRClient, type ImageDetail,
} from '@aws-sdk/client-ecr';
import { startWharf, type RunningWharf, authedFetch as fetch } from '../helpers/server.ts';
import { MEDIA, buildImage } from '../helpers/oci-layout.ts';
import { buildArtifact, buildIndex, ecrClient, push, rejectsWith, smallImage } from './ecr-images-support.ts';

const ACCOUNT = '000000000000';
const notFound = (repo: string, id: string) => `The image with imageId ${id} does not exist within the repository with name '${repo}' in the registry with id '${ACCOUNT}'`;

describe('ECR image API (SDK v3): reads', () => {
  let w: RunningWharf;
  let ecr: ECRClient;
  let registryId: string;

  before(async () => {
    w = await startWharf();
    ecr = ecrClient(w);
    const repo = await ecr.send(new CreateRepositoryCommand({ repositoryName: 'reads/app' }));
    registryId = repo.repository!.registryId!;
  });
  after(async () => { ecr?.destroy(); await w?.stop(); });

  async function createRepo(name: string): Promise<string> {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
    return name;
  }

  test('DescribeImages reports what /v2/ stored: tags, compressed size, push time, media types; untagged images have no imageTags', async () => {
    const repo = await createRepo('describe/basic');
    const img = smallImage();
    const t0 = Date.now();
    await push(w, repo, img, 'v1');
    await push(w, repo, img, 'latest');
    const untagged = smallImage({ docker: true });
    await push(w, repo, untagged);
    const out = await ecr.send(new DescribeImagesCommand({ repositoryName: repo }));
    assert.equal(out.nextToken, undefined);
    const byDigest = new Map(out.imageDetails!.map((d) => [d.imageDigest, d]));
    assert.equal(byDigest.size, 2);
    const d = byDigest.get(img.descriptor.digest)!;
    assert.equal(d.registryId, registryId);
    assert.equal(d.repositoryName, repo);
    assert.deepEqual(d.imageTags, ['latest', 'v1']);
    assert.equal(d.imageSizeInBytes, img.layers.reduce((n, l) => n + l.descriptor.size, 0));
    assert.equal(d.imageManifestMediaType, MEDIA.ociManifest);
    assert.equal(d.artifactMediaType, MEDIA.ociConfig);
    assert.ok(d.imagePushedAt instanceof Date);
    assert.ok(Math.abs(d.imagePushedAt!.getTime() - t0) < 60_000, 'imagePushedAt is the push time');
    assert.equal(d.lastRecordedPullTime, undefined, 'never pulled yet');
    const u = byDigest.get(untagged.descriptor.digest)!;
    assert.equal(u.imageTags, undefined);
    assert.equal(u.imageManifestMediaType, MEDIA.dockerManifest);
    assert.equal(u.artifactMediaType, MEDIA.dockerConfig);
  });

  test('a /v2/ manifest GET sets lastRecordedPullTime', async () => {
    const repo = await createRepo('describe/pulls');
    const img = smallImage();
    await push(w, repo, img, 'v1');
    const res = await fetch(`${w.url}/v2/${repo}/manifests/v1`, { headers: { accept: MEDIA.ociManifest } });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    const out = await ecr.send(new DescribeImagesCommand({ repositoryName: repo, imageIds: [{ imageTag: 'v1' }] }));
    const pulled = out.imageDetails![0].lastRecordedPullTime;
    assert.ok(pulled instanceof Date && Math.abs(pulled.getTime() - Date.now()) < 60_000);
  });

  test('an index reports its largest child as its size and its children are images of their own', async () => {
    const repo = await createRepo('describe/index');
    const a = smallImage({ arch: 'amd64' });
    const b = biggerImage();
    const idx = buildIndex([a, b]);
    await push(w, repo, idx, 'multi');
    const out = await ecr.send(new DescribeImagesCommand({ repositoryName: repo, imageIds: [{ imageTag: 'multi' }] }));
    const sizeOf = (i: typeof a) => i.layers.reduce((n, l) => n + l.descriptor.size, 0);
    assert.equal(out.imageDetails![0].imageSizeInBytes, Math.max(sizeOf(a), sizeOf(b)));
    assert.equal(out.imageDetails![0].imageManifestMediaType, MEDIA.ociIndex);
    assert.equal(out.imageDetails![0].artifactMediaType, undefined);
    const all = await ecr.send(new DescribeImagesCommand({ repositoryName: repo, filter: { tagStatus: 'UNTAGGED' } }));
    assert.deepEqual(all.imageDetails!.map((d) => d.imageDigest).sort(), [a.descriptor.digest, b.descriptor.digest].sort());
  });

  test('DescribeImages by imageIds: by tag, by digest, by both; each image once', async () => {
    const repo = await createRepo('describe/ids');
    const img = smallImage();
    const other = smallImage();
    await push(w, repo, img, 'a');
    await push(w, repo, img, 'b');
    await push(w, repo, other, 'c');
    const out = await ecr.send(new DescribeImagesCommand({
      repositoryName: repo,
      imageIds: [{ imageTag: 'c' }, { imageTag: 'a' }, { imageDigest: img.descriptor.digest }, { imageTag: 'b', imageDigest: img.descriptor.digest }],
    }));
    assert.deepEqual(out.imageDetails!.map((d) => [d.imageDigest, d.imageTags]), [
      [other.descriptor.digest, ['c']], [img.descriptor.digest, ['a', 'b']],
    ]);
  });

  test('DescribeImages fails the whole call for a missing id, with ECR\'s message', async () => {
    const repo = await createRepo('describe/missing');
    const img = smallImage();
    await push(w, repo, img, 'v1');
    await rejectsWith(ecr.send(new DescribeImagesCommand({ repositoryName: repo, imageIds: [{ imageTag: 'v1' }, { imageTag: 'v5' }] })),
      'ImageNotFoundException', notFound(repo, "{imageDigest:'null', imageTag:'v5'}"));
    const absent = 'sha256:' + 'a'.repeat(64);
    await rejectsWith(ecr.send(new DescribeImagesCommand({ repositoryName: repo, imageIds: [{ imageDigest: absent }] })),
      'ImageNotFoundException', notFound(repo, `{imageDigest:'${absent}', imageTag:'null'}`));
    await rejectsWith(ecr.send(new DescribeImagesCommand({ repositoryName: repo, imageIds: [{ imageTag: 'v1', imageDigest: absent }] })),
      'InvalidParameterException', 'Invalid request parameters: given tag does not map to the given digest');
    await rejectsWith(ecr.send(new DescribeImagesCommand({ repositoryName: repo, imageIds: [{ imageDigest: 'not-a-digest' }] })),
      'InvalidParameterException', "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'");
    await rejectsWith(ecr.send(new DescribeImagesCommand({ repositoryName: repo, imageIds: [{}] })),
      'InvalidParameterException', 'Invalid request parameters: both tag and digest cannot be null');
  });

  test('DescribeImages and ListImages: imageIds exclude paging, unknown repositories and registries, bad tokens and page sizes', async () => {
    const repo = await createRepo('describe/errors');
    await rejectsWith(ecr.send(new DescribeImagesCommand({ repositoryName: repo, imageIds: [{ imageTag: 'x' }], maxResults: 5 })),
      'InvalidParameterException', /imageIds cannot be used together with maxResults or nextToken/);
    for (const op of [new DescribeImagesCommand({ repositoryName: 'no/such' }), new ListImagesCommand({ repositoryName: 'no/such' })]) {
      await rejectsWith(ecr.send(op as any), 'RepositoryNotFoundException',
        `The repository with name 'no/such' does not exist in the registry with id '${ACCOUNT}'`);
    }
    await rejectsWith(ecr.send(new ListImagesCommand({ repositoryName: repo, registryId: '123456789012' })), 'RepositoryNotFoundException',
      `The repository with name '${repo}' does not exist in the registry with id '123456789012'`);
    await rejectsWith(ecr.send(new DescribeImagesCommand({ repositoryName: repo, nextToken: 'garbage!' })), 'InvalidParameterException');
    await rejectsWith(ecr.send(new ListImagesCommand({ repositoryName: repo, nextToken: Buffer.from('{"c":42}').toString('base64url') })), 'InvalidParameterException');
    await rejectsWith(ecr.send(new ListImagesCommand({ repositoryName: repo, maxResults: 1001 })), 'InvalidParameterException',
      "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value less than or equal to 1000'");
    await rejectsWith(ecr.send(new DescribeImagesCommand({ repositoryName: repo, maxResults: 0 })), 'InvalidParameterException',
      "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value greater than or equal to 1'");
    await rejectsWith(ecr.send(new DescribeImagesCommand({ repositoryName: repo, filter: { tagStatus: 'SOME' as any } })), 'InvalidParameterException',
      "Invalid parameter at 'filter.tagStatus' failed to satisfy constraint: 'Member must satisfy enum value set: [TAGGED, UNTAGGED, ANY]'");
  });

  test('ListImages has one row per (digest, tag) and untagged images as a digest alone; tagStatus filters rows', async () => {
    const repo = await createRepo('list/rows');
    const img = smallImage();
    const loose = smallImage();
    await push(w, repo, img, 'one');
    await push(w, repo, img, 'two');
    await push(w, repo, loose);
    const rows = (f?: 'TAGGED' | 'UNTAGGED' | 'ANY') => ecr.send(new ListImagesCommand({ repositoryName: repo, ...(f ? { filter: { tagStatus: f } } : {}) }))
      .then((o) => o.imageIds!.map((i) => `${i.imageDigest}${i.imageTag ? ':' + i.imageTag : ''}`).sort());
    const tagged = [`${img.descriptor.digest}:one`, `${img.descriptor.digest}:two`];
    assert.deepEqual(await rows(), [...tagged, loose.descriptor.digest].sort());
    assert.deepEqual(await rows('ANY'), [...tagged, loose.descriptor.digest].sort());
    assert.deepEqual(await rows('TAGGED'), tagged);
    assert.deepEqual(await rows('UNTAGGED'), [loose.descriptor.digest]);
    const descTagged = await ecr.send(new DescribeImagesCommand({ repositoryName: repo, filter: { tagStatus: 'TAGGED' } }));
    assert.deepEqual(descTagged.imageDetails!.map((d) => d.imageDigest), [img.descriptor.digest]);
  });

  test('paginateDescribeImages and paginateListImages walk every image exactly once with small pages', async () => {
    const repo = await createRepo('list/pages');
    const expectedRows: string[] = [];
    const digests: string[] = [];
    for (let i = 0; i < 7; i++) {
      const img = smallImage();
      digests.push(img.descriptor.digest);
      const tags = i % 3 === 0 ? [] : i % 3 === 1 ? [`t${i}`] : [`t${i}`, `u${i}`];
      if (tags.length === 0) { await push(w, repo, img); expectedRows.push(img.descriptor.digest); }
      for (const t of tags) { await push(w, repo, img, t); expectedRows.push(`${img.descriptor.digest}:${t}`); }
    }
    const details: ImageDetail[] = [];
    let pages = 0;
    for await (const page of paginateDescribeImages({ client: ecr, pageSize: 2 }, { repositoryName: repo })) {
      pages++;
      assert.ok(page.imageDetails!.length <= 2);
      details.push(...page.imageDetails!);
    }
    assert.equal(pages, 4);
    assert.deepEqual(details.map((d) => d.imageDigest), [...digests].sort());
    const rows: string[] = [];
    pages = 0;
    for await (const page of paginateListImages({ client: ecr, pageSize: 3 }, { repositoryName: repo })) {
      pages++;
      rows.push(...page.imageIds!.map((i) => `${i.imageDigest}${i.imageTag ? ':' + i.imageTag : ''}`));
    }
    assert.equal(expectedRows.length, 9);
    assert.equal(rows.length, 9);
    assert.equal(pages, 3, 'nine rows in pages of three: no empty fourth page');
    assert.deepEqual([...rows].sort(), [...expectedRows].sort());
    assert.equal(new Set(rows).size, rows.length, 'no row twice');
    const untagged: string[] = [];
    for await (const page of paginateListImages({ client: ecr, pageSize: 1 }, { repositoryName: repo, filter: { tagStatus: 'UNTAGGED' } })) {
      untagged.push(...page.imageIds!.map((i) => i.imageDigest!));
    }
    assert.deepEqual(untagged, digests.filter((_, i) => i % 3 === 0).sort());
  });

  test('BatchGetImage returns the exact stored manifest by tag, digest or both, and counts as a pull', async () => {
    const repo = await createRepo('get/basic');
    const img = smallImage({ docker: true });
    await push(w, repo, img, 'v1');
    const out = await ecr.send(new BatchGetImageCommand({
      repositoryName: repo, imageIds: [{ imageTag: 'v1' }, { imageDigest: img.descriptor.digest }, { imageTag: 'v1', imageDigest: img.descriptor.digest }],
    }));
    assert.deepEqual(out.failures, []);
    assert.equal(out.images!.length, 2, 'the same (digest, tag) answered once');
    for (const i of out.images!) {
      assert.equal(i.registryId, registryId);
      assert.equal(i.repositoryName, repo);
      assert.equal(i.imageManifest, img.bytes.toString('utf8'));
      assert.equal(i.imageManifestMediaType, MEDIA.dockerManifest);
    }
    assert.deepEqual(out.images!.map((i) => i.imageId), [
      { imageDigest: img.descriptor.digest, imageTag: 'v1' }, { imageDigest: img.descriptor.digest },
    ]);
    const d = await ecr.send(new DescribeImagesCommand({ repositoryName: repo }));
    assert.ok(d.imageDetails![0].lastRecordedPullTime instanceof Date, 'BatchGetImage recorded a pull');
  });

  test('BatchGetImage reports each bad identifier as a failure with ECR\'s codes and reasons', async () => {
    const repo = await createRepo('get/failures');
    const img = smallImage();
    await push(w, repo, img, 'v1');
    const absent = 'sha256:' + 'b'.repeat(64);
    const out = await ecr.send(new BatchGetImageCommand({
      repositoryName: repo,
      imageIds: [{ imageTag: 'nope' }, { imageDigest: absent }, {}, { imageDigest: 'invalid_digest' }, { imageTag: 'v1', imageDigest: absent }, { imageTag: 'v1' }],
    }));
    assert.equal(out.images!.length, 1);
    assert.deepEqual(out.failures, [
      { imageId: { imageTag: 'nope' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' },
      { imageId: { imageDigest: absent }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' },
      { imageId: {}, failureCode: 'MissingDigestAndTag', failureReason: 'Invalid request parameters: both tag and digest cannot be null' },
      { imageId: { imageDigest: 'invalid_digest' }, failureCode: 'InvalidImageDigest', failureReason: "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'" },
      { imageId: { imageTag: 'v1', imageDigest: absent }, failureCode: 'ImageTagDoesNotMatchDigest', failureReason: 'Invalid request parameters: given tag does not map to the given digest' },
    ]);
    await rejectsWith(ecr.send(new BatchGetImageCommand({ repositoryName: 'get/none', imageIds: [{ imageTag: 'v1' }] })), 'RepositoryNotFoundException');
    await rejectsWith(ecr.send(new BatchGetImageCommand({ repositoryName: repo, imageIds: [] })), 'InvalidParameterException',
      "Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length greater than or equal to 1'");
  });

  test('BatchGetImage with acceptedMediaTypes: listed types are returned, others fail as ImageNotFound (no conversion)', async () => {
    const repo = await createRepo('get/accept');
    const img = smallImage();
    await push(w, repo, img, 'oci');
    const ok = await ecr.send(new BatchGetImageCommand({ repositoryName: repo, imageIds: [{ imageTag: 'oci' }], acceptedMediaTypes: [MEDIA.dockerManifest, MEDIA.ociManifest] }));
    assert.equal(ok.images!.length, 1);
    const no = await ecr.send(new BatchGetImageCommand({ repositoryName: repo, imageIds: [{ imageTag: 'oci' }, { imageDigest: img.descriptor.digest }], acceptedMediaTypes: [MEDIA.dockerManifest] }));
    assert.deepEqual(no.images, []);
    assert.deepEqual(no.failures!.map((f) => [f.failureCode, f.failureReason]), [['ImageNotFound', 'Requested image not found'], ['ImageNotFound', 'Requested image not found']]);
  });

  test('ListImageReferrers lists the artifacts whose subject is the image, filtered and paged', async () => {
    const repo = await createRepo('referrers/app');
    const img = smallImage();
    await push(w, repo, img, 'v1');
    const subject = { mediaType: img.descriptor.mediaType, digest: img.descriptor.digest, size: img.descriptor.size };
    const arts = [
      buildArtifact({ artifactType: 'application/vnd.example.sbom', subject, annotations: { 'org.example.kind': 'sbom' } }),
      buildArtifact({ artifactType: 'application/vnd.example.sig', subject }),
      buildArtifact({ artifactType: 'application/vnd.example.sig', subject }),
    ];
    for (const a of arts) await push(w, repo, a);
    await push(w, repo, buildArtifact({ artifactType: 'application/vnd.example.sig' }));
    const out = await ecr.send(new ListImageReferrersCommand({ repositoryName: repo, subjectId: { imageDigest: img.descriptor.digest } }));
    assert.equal(out.nextToken, undefined);
    const expected = arts.map((a) => ({
      digest: a.descriptor.digest, mediaType: MEDIA.ociManifest, artifactType: a.json.artifactType, size: a.bytes.length,
      ...(a.json.annotations ? { annotations: a.json.annotations } : {}), artifactStatus: 'ACTIVE',
    })).sort((x, y) => (x.digest < y.digest ? -1 : 1));
    assert.deepEqual(out.referrers, expected);
    const sigs = await ecr.send(new ListImageReferrersCommand({
      repositoryName: repo, subjectId: { imageDigest: img.descriptor.digest }, filter: { artifactTypes: ['application/vnd.example.sig'], artifactStatus: 'ACTIVE' },
    }));
    assert.deepEqual(sigs.referrers!.map((r) => r.digest), expected.filter((e) => e.artifactType.endsWith('sig')).map((e) => e.digest));
    const archived = await ecr.send(new ListImageReferrersCommand({ repositoryName: repo, subjectId: { imageDigest: img.descriptor.digest }, filter: { artifactStatus: 'ARCHIVED' } }));
    assert.deepEqual(archived.referrers, []);
    const paged: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const p = await ecr.send(new ListImageReferrersCommand({ repositoryName: repo, subjectId: { imageDigest: img.descriptor.digest }, maxResults: 2, nextToken }));
      paged.push(...p.referrers!.map((r) => r.digest!));
      nextToken = p.nextToken;
      pages++;
    } while (nextToken);
    assert.equal(pages, 2);
    assert.deepEqual(paged, expected.map((e) => e.digest));
    const none = await ecr.send(new ListImageReferrersCommand({ repositoryName: repo, subjectId: { imageDigest: 'sha256:' + 'c'.repeat(64) } }));
    assert.deepEqual(none.referrers, []);
  });

  test('ListImageReferrers errors: bad digest, page size, unknown repository', async () => {
    const repo = await createRepo('referrers/errors');
    await rejectsWith(ecr.send(new ListImageReferrersCommand({ repositoryName: repo, subjectId: { imageDigest: 'sha256:nothex' } })), 'InvalidParameterException');
    await rejectsWith(ecr.send(new ListImageReferrersCommand({ repositoryName: repo, subjectId: { imageDigest: 'sha256:' + 'c'.repeat(64) }, maxResults: 51 })), 'ValidationException', /maxResults/);
    await rejectsWith(ecr.send(new ListImageReferrersCommand({ repositoryName: 'referrers/none', subjectId: { imageDigest: 'sha256:' + 'c'.repeat(64) } })), 'RepositoryNotFoundException');
  });
});

/** An image whose one (uncompressed) layer is larger than smallImage()'s, so an index's size is telling. */
function biggerImage() {
  return buildImage({ layers: [{ compression: 'none', bytes: 4096 }], platform: { os: 'linux', architecture: 'arm64' } });
}
