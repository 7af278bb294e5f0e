// The ECR image API through the aws CLI (v1, auto-pagination with --page-size) and boto3 (paginators,
// ClientError codes): every image operation, the wire shapes they print, and their error paths.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import { startWharf, type RunningWharf } from '../helpers/server.ts';
import { requireTools } from '../helpers/tools.ts';
import { MEDIA } from '../helpers/oci-layout.ts';
import { awsEcr, boto3, buildArtifact, ecrClient, push, smallImage, type BuiltImage } from './ecr-images-support.ts';

const ACCOUNT = '000000000000';

describe('ECR image API through the aws CLI and boto3', () => {
  let w: RunningWharf;
  const REPO = 'cli/app';
  const images: BuiltImage[] = [];
  let rows: string[] = [];

  before(async () => {
    w = await startWharf();
    const ecr = ecrClient(w);
    await ecr.send(new CreateRepositoryCommand({ repositoryName: REPO }));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'cli/scratch' }));
    ecr.destroy();
    // 5 images: #0 untagged, #1 one tag, #2 two tags, #3 one tag, #4 untagged -> 6 ListImages rows.
    const tags = [[], ['t1'], ['t2', 'u2'], ['t3'], []];
    for (const ts of tags) {
      const img = smallImage();
      images.push(img);
      if (ts.length === 0) { await push(w, REPO, img); rows.push(img.descriptor.digest); }
      for (const t of ts) { await push(w, REPO, img, t); rows.push(`${img.descriptor.digest}:${t}`); }
    }
    rows = rows.sort();
  });
  after(async () => { await w?.stop(); });

  const rowOf = (i: { imageDigest: string; imageTag?: string }) => `${i.imageDigest}${i.imageTag ? ':' + i.imageTag : ''}`;

  test('aws ecr describe-images / list-images auto-paginate with --page-size and print ECR\'s shapes', async (t) => {
    if (!requireTools(t, 'aws')) return;
    const d = await awsEcr(w, 'describe-images', '--repository-name', REPO, '--page-size', '2');
    assert.equal(d.code, 0, d.stderr);
    assert.equal(d.json.nextToken, undefined, 'the CLI followed every nextToken');
    assert.deepEqual(d.json.imageDetails.map((x: any) => x.imageDigest), images.map((i) => i.descriptor.digest).sort());
    const untagged = d.json.imageDetails.find((x: any) => x.imageDigest === images[0].descriptor.digest);
    assert.equal('imageTags' in untagged, false, 'imageTags is omitted on the wire for an untagged image');
    assert.deepEqual(Object.keys(untagged).sort(), ['artifactMediaType', 'imageDigest', 'imageManifestMediaType', 'imagePushedAt', 'imageSizeInBytes', 'imageStatus', 'registryId', 'repositoryName']);
    assert.equal(untagged.imageStatus, 'ACTIVE');
    const two = d.json.imageDetails.find((x: any) => x.imageDigest === images[2].descriptor.digest);
    assert.deepEqual(two.imageTags, ['t2', 'u2']);
    assert.equal(two.registryId, ACCOUNT);
    const l = await awsEcr(w, 'list-images', '--repository-name', REPO, '--page-size', '4');
    assert.equal(l.code, 0, l.stderr);
    assert.deepEqual(l.json.imageIds.map(rowOf).sort(), rows);
    const one = await awsEcr(w, 'list-images', '--repository-name', REPO, '--max-items', '4');
    assert.equal(one.json.imageIds.length, 4);
    assert.ok(one.json.NextToken, 'the CLI hands out a resume token with --max-items');
    const rest = await awsEcr(w, 'list-images', '--repository-name', REPO, '--starting-token', one.json.NextToken);
    assert.deepEqual([...one.json.imageIds, ...rest.json.imageIds].map(rowOf).sort(), rows);
    const u = await awsEcr(w, 'list-images', '--repository-name', REPO, '--filter', 'tagStatus=UNTAGGED');
    assert.deepEqual(u.json.imageIds, [images[0], images[4]].map((i) => ({ imageDigest: i.descriptor.digest })).sort((a, b) => (a.imageDigest < b.imageDigest ? -1 : 1)));
  });

  test('aws ecr describe-images errors print ECR\'s exception names and messages', async (t) => {
    if (!requireTools(t, 'aws')) return;
    const missing = await awsEcr(w, 'describe-images', '--repository-name', REPO, '--image-ids', 'imageTag=v5');
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, new RegExp(`An error occurred \\(ImageNotFoundException\\) when calling the DescribeImages operation: The image with imageId \\{imageDigest:'null', imageTag:'v5'\\} does not exist within the repository with name '${REPO}' in the registry with id '${ACCOUNT}'`));
    const norepo = await awsEcr(w, 'list-images', '--repository-name', 'cli/none');
    assert.match(norepo.stderr, /\(RepositoryNotFoundException\) when calling the ListImages operation: The repository with name 'cli\/none' does not exist/);
  });

  test('aws ecr batch-get-image, put-image (retag), batch-delete-image and list-image-referrers', async (t) => {
    if (!requireTools(t, 'aws')) return;
    const img = images[1];
    const got = await awsEcr(w, 'batch-get-image', '--repository-name', REPO, '--image-ids', 'imageTag=t1', 'imageTag=missing');
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.json.images[0].imageManifest, img.bytes.toString('utf8'));
    assert.deepEqual(got.json.images[0].imageId, { imageDigest: img.descriptor.digest, imageTag: 't1' });
    assert.deepEqual(got.json.failures, [{ imageId: { imageTag: 'missing' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }]);
    const put = await awsEcr(w, 'put-image', '--repository-name', REPO, '--image-tag', 'retagged', '--image-manifest', got.json.images[0].imageManifest);
    assert.equal(put.code, 0, put.stderr);
    assert.deepEqual(put.json.image.imageId, { imageDigest: img.descriptor.digest, imageTag: 'retagged' });
    const dup = await awsEcr(w, 'put-image', '--repository-name', REPO, '--image-tag', 'retagged', '--image-manifest', got.json.images[0].imageManifest);
    assert.match(dup.stderr, /\(ImageAlreadyExistsException\) when calling the PutImage operation: Image with digest '.*' and tag 'retagged' already exists/);
    const del = await awsEcr(w, 'batch-delete-image', '--repository-name', REPO, '--image-ids', 'imageTag=retagged', 'imageTag=never');
    assert.equal(del.code, 0, del.stderr);
    assert.deepEqual(del.json.imageIds, [{ imageDigest: img.descriptor.digest, imageTag: 'retagged' }]);
    assert.deepEqual(del.json.failures, [{ imageId: { imageTag: 'never' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }]);
    const sig = buildArtifact({ artifactType: 'application/vnd.example.sig', subject: img.descriptor });
    await push(w, REPO, sig);
    const refs = await awsEcr(w, 'list-image-referrers', '--repository-name', REPO, '--subject-id', `imageDigest=${img.descriptor.digest}`);
    assert.equal(refs.code, 0, refs.stderr);
    assert.deepEqual(refs.json.referrers, [{
      digest: sig.descriptor.digest, mediaType: MEDIA.ociManifest, artifactType: 'application/vnd.example.sig', size: sig.bytes.length, artifactStatus: 'ACTIVE',
    }]);
    const gone = await awsEcr(w, 'batch-delete-image', '--repository-name', REPO, '--image-ids', `imageDigest=${sig.descriptor.digest}`);
    assert.deepEqual(gone.json.imageIds, [{ imageDigest: sig.descriptor.digest }]);
  });

  test('boto3 paginators for describe_images and list_images collect every image and row', async (t) => {
    if (!requireTools(t, 'python3')) return;
    const out = await boto3(w, `
pd = ecr.get_paginator('describe_images').paginate(repositoryName=V['repo'], PaginationConfig={'PageSize': 2})
pages = list(pd)
pl = ecr.get_paginator('list_images').paginate(repositoryName=V['repo'], PaginationConfig={'PageSize': 4})
lpages = list(pl)
tagged = ecr.get_paginator('list_images').paginate(repositoryName=V['repo'], filter={'tagStatus': 'TAGGED'}).build_full_result()
out = {
  'pages': len(pages), 'digests': [d['imageDigest'] for p in pages for d in p['imageDetails']],
  'pushed': [d['imagePushedAt'] for p in pages for d in p['imageDetails']],
  'lpages': len(lpages), 'rows': [i for p in lpages for i in p['imageIds']],
  'tagged': tagged['imageIds'],
}`, { repo: REPO });
    assert.equal(out.pages, 3);
    assert.deepEqual(out.digests, images.map((i) => i.descriptor.digest).sort());
    for (const p of out.pushed) assert.ok(typeof p === 'number' && Math.abs(p * 1000 - Date.now()) < 600_000, 'imagePushedAt parses as a datetime');
    assert.equal(out.lpages, 2);
    assert.deepEqual(out.rows.map(rowOf).sort(), rows);
    assert.deepEqual(out.tagged.map(rowOf).sort(), rows.filter((r) => r.split(':').length === 3));
  });

  test('boto3: batch_get_image, put_image, batch_delete_image, list_image_referrers and their errors', async (t) => {
    if (!requireTools(t, 'python3')) return;
    const img = smallImage();
    await push(w, 'cli/scratch', img, 'v1');
    const out = await boto3(w, `
r = V['repo']
got = ecr.batch_get_image(repositoryName=r, imageIds=[{'imageTag': 'v1'}, {'imageDigest': 'bad'}], acceptedMediaTypes=[V['oci']])
m = got['images'][0]['imageManifest']
put = ecr.put_image(repositoryName=r, imageManifest=m, imageTag='v2')
errs = {}
for name, call in [
    ('dup', lambda: ecr.put_image(repositoryName=r, imageManifest=m, imageTag='v2')),
    ('nomedia', lambda: ecr.put_image(repositoryName=r, imageManifest='{"schemaVersion": 2, "config": {}, "layers": []}')),
    ('digest', lambda: ecr.put_image(repositoryName=r, imageManifest=m, imageDigest='sha256:' + '0' * 64)),
    ('desc', lambda: ecr.describe_images(repositoryName=r, imageIds=[{'imageTag': 'nope'}])),
    ('excl', lambda: ecr.describe_images(repositoryName=r, imageIds=[{'imageTag': 'v1'}], maxResults=10)),
    ('norepo', lambda: ecr.batch_delete_image(repositoryName='cli/none', imageIds=[{'imageTag': 'v1'}])),
]:
    try:
        call()
        errs[name] = None
    except ClientError as e:
        errs[name] = [e.response['Error']['Code'], e.response['Error']['Message']]
refs = ecr.list_image_referrers(repositoryName=r, subjectId={'imageDigest': got['images'][0]['imageId']['imageDigest']}, maxResults=5)
dele = ecr.batch_delete_image(repositoryName=r, imageIds=[{'imageDigest': got['images'][0]['imageId']['imageDigest']}])
out = {'got': got, 'put': put['image'], 'errs': errs, 'refs': refs['referrers'], 'del': dele}
`, { repo: 'cli/scratch', oci: MEDIA.ociManifest });
    assert.equal(out.got.images[0].imageManifest, img.bytes.toString('utf8'));
    assert.deepEqual(out.got.failures, [{ imageId: { imageDigest: 'bad' }, failureCode: 'InvalidImageDigest', failureReason: "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'" }]);
    assert.deepEqual(out.put.imageId, { imageDigest: img.descriptor.digest, imageTag: 'v2' });
    assert.equal(out.errs.dup[0], 'ImageAlreadyExistsException');
    assert.deepEqual(out.errs.nomedia, ['InvalidParameterException', 'image manifest mediatype not provided in manifest or parameter']);
    assert.equal(out.errs.digest[0], 'ImageDigestDoesNotMatchException');
    assert.deepEqual(out.errs.desc, ['ImageNotFoundException', `The image with imageId {imageDigest:'null', imageTag:'nope'} does not exist within the repository with name 'cli/scratch' in the registry with id '${ACCOUNT}'`]);
    assert.equal(out.errs.excl[0], 'InvalidParameterException');
    assert.equal(out.errs.norepo[0], 'RepositoryNotFoundException');
    assert.deepEqual(out.refs, []);
    assert.deepEqual(out.del.imageIds, [{ imageDigest: img.descriptor.digest, imageTag: 'v1' }, { imageDigest: img.descriptor.digest, imageTag: 'v2' }]);
    assert.deepEqual(out.del.failures, []);
  });
});
