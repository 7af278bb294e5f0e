// Repository settings through the ECR API end to end (aws CLI, boto3, SDK v3 against a listening
// Wharf): tag mutability modes and filters (and their effect on /v2/ pushes), scan-on-push, and
// repository resource tags addressed by ARN, with every error a client can trigger.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildImage } from '../helpers/oci-layout.ts';
import { RegistryClient } from '../helpers/registry-client.ts';
import { startWharf, TEST_REGION, type RunningWharf } from '../helpers/server.ts';
import { closeSdkClient, ECR_CLIENTS, ecrErr, ecrOk, requireClient, type EcrClientName } from './ecr-clients.ts';

const ACCOUNT = '000000000000';
const notFound = (repo: string, registryId = ACCOUNT) => `The repository with name '${repo}' does not exist in the registry with id '${registryId}'`;
const arnOf = (repo: string) => `arn:aws:ecr:${TEST_REGION}:${ACCOUNT}:repository/${repo}`;
const INVALID_ARN = "Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'";

let w: RunningWharf;
before(async () => {
  w = await startWharf({ repositories: [...ECR_CLIENTS.map((c) => `settings/${c}`), 'settings/pushes'] });
});
after(async () => {
  if (!w) return;
  closeSdkClient(w);
  await w.stop();
});

async function expectError(client: EcrClientName, op: string, input: Record<string, unknown>, code: string, message: string): Promise<void> {
  const e = await ecrErr(w, client, op, input);
  assert.deepEqual({ code: e.code, message: e.message }, { code, message }, `${client} ${op} ${JSON.stringify(input).slice(0, 200)}`);
}

/** The repository as DescribeRepositories reports it (through the SDK). */
async function describe(repo: string): Promise<Record<string, any>> {
  const out = await ecrOk(w, 'sdk-v3', 'DescribeRepositories', { repositoryNames: [repo] });
  return (out.repositories as Record<string, any>[])[0];
}

const filters = (...fs: string[]) => fs.map((filter) => ({ filterType: 'WILDCARD', filter }));

for (const client of ECR_CLIENTS) {
  test(`${client}: PutImageTagMutability sets all four modes with their filters`, { timeout: 120_000 }, async (t) => {
    if (!requireClient(t, client)) return;
    const repo = `settings/${client}`;
    const steps: [string, ReturnType<typeof filters> | undefined][] = [
      ['IMMUTABLE', undefined],
      ['IMMUTABLE_WITH_EXCLUSION', filters('latest', 'dev-*')],
      ['MUTABLE_WITH_EXCLUSION', filters('release-*')],
      ['MUTABLE', undefined],
    ];
    for (const [mode, fs] of steps) {
      const out = await ecrOk(w, client, 'PutImageTagMutability', { repositoryName: repo, imageTagMutability: mode, ...(fs ? { imageTagMutabilityExclusionFilters: fs } : {}) });
      assert.deepEqual(out, { registryId: ACCOUNT, repositoryName: repo, imageTagMutability: mode, ...(fs ? { imageTagMutabilityExclusionFilters: fs } : {}) }, mode);
      const r = await describe(repo);
      assert.equal(r.imageTagMutability, mode);
      // Going back to a mode without filters clears the old ones.
      assert.deepEqual(r.imageTagMutabilityExclusionFilters, fs, mode);
    }
  });

  test(`${client}: PutImageTagMutability errors`, { timeout: 120_000 }, async (t) => {
    if (!requireClient(t, client)) return;
    const repo = `settings/${client}`;
    for (const mode of ['IMMUTABLE_WITH_EXCLUSION', 'MUTABLE_WITH_EXCLUSION']) {
      await expectError(client, 'PutImageTagMutability', { repositoryName: repo, imageTagMutability: mode }, 'InvalidParameterException',
        `Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: 'ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as ${mode}'`);
    }
    for (const mode of ['MUTABLE', 'IMMUTABLE']) {
      await expectError(client, 'PutImageTagMutability', { repositoryName: repo, imageTagMutability: mode, imageTagMutabilityExclusionFilters: filters('x') }, 'InvalidParameterException',
        "Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: 'ImageTagMutabilityExclusionFilters can only be used when imageTagMutability is set as MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION'");
    }
    // PutImageTagMutability's model lists no ValidationException: model constraints are ECR's InvalidParameterException.
    await expectError(client, 'PutImageTagMutability', { repositoryName: repo, imageTagMutability: 'SOMETIMES' }, 'InvalidParameterException',
      "Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must satisfy enum value set: [IMMUTABLE, MUTABLE, MUTABLE_WITH_EXCLUSION, IMMUTABLE_WITH_EXCLUSION]'");
    await expectError(client, 'PutImageTagMutability', { repositoryName: repo, imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', imageTagMutabilityExclusionFilters: filters('a/b') }, 'InvalidParameterException',
      "Invalid parameter at 'imageTagMutabilityExclusionFilters.1.member.filter' failed to satisfy constraint: 'must satisfy regular expression '^[0-9a-zA-Z._*-]{1,128}$''");
    await expectError(client, 'PutImageTagMutability', { repositoryName: repo, imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', imageTagMutabilityExclusionFilters: filters('a', 'b', 'c', 'd', 'e', 'f') },
      'InvalidParameterException', "Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: 'Member must have length less than or equal to 5'");
    await expectError(client, 'PutImageTagMutability', { repositoryName: 'settings/missing', imageTagMutability: 'IMMUTABLE' }, 'RepositoryNotFoundException', notFound('settings/missing'));
    await expectError(client, 'PutImageTagMutability', { registryId: '111122223333', repositoryName: repo, imageTagMutability: 'IMMUTABLE' }, 'RepositoryNotFoundException', notFound(repo, '111122223333'));
    // Nothing above changed the repository.
    assert.equal((await describe(repo)).imageTagMutability, 'MUTABLE');
  });

  test(`${client}: PutImageScanningConfiguration sets scanOnPush`, { timeout: 120_000 }, async (t) => {
    if (!requireClient(t, client)) return;
    const repo = `settings/${client}`;
    for (const [given, want] of [[{ scanOnPush: true }, true], [{ scanOnPush: false }, false], [{ scanOnPush: true }, true], [{}, false]] as const) {
      const out = await ecrOk(w, client, 'PutImageScanningConfiguration', { repositoryName: repo, imageScanningConfiguration: given });
      assert.deepEqual(out, { registryId: ACCOUNT, repositoryName: repo, imageScanningConfiguration: { scanOnPush: want } });
      assert.deepEqual((await describe(repo)).imageScanningConfiguration, { scanOnPush: want });
    }
    await expectError(client, 'PutImageScanningConfiguration', { repositoryName: 'settings/missing', imageScanningConfiguration: { scanOnPush: true } },
      'RepositoryNotFoundException', notFound('settings/missing'));
    await expectError(client, 'PutImageScanningConfiguration', { registryId: '111122223333', repositoryName: repo, imageScanningConfiguration: { scanOnPush: true } },
      'RepositoryNotFoundException', notFound(repo, '111122223333'));
  });

  test(`${client}: TagResource, ListTagsForResource and UntagResource by repository ARN`, { timeout: 120_000 }, async (t) => {
    if (!requireClient(t, client)) return;
    const repo = `settings/${client}`;
    const resourceArn = arnOf(repo);
    const list = async () => (await ecrOk(w, client, 'ListTagsForResource', { resourceArn })).tags;
    assert.deepEqual(await list(), []);
    assert.deepEqual(await ecrOk(w, client, 'TagResource', { resourceArn, tags: [{ Key: 'team', Value: 'a' }, { Key: 'env', Value: 'prod' }] }), {});
    assert.deepEqual(await list(), [{ Key: 'env', Value: 'prod' }, { Key: 'team', Value: 'a' }]);
    await ecrOk(w, client, 'TagResource', { resourceArn, tags: [{ Key: 'team', Value: 'b' }, { Key: 'cost', Value: '' }] });
    assert.deepEqual(await list(), [{ Key: 'cost', Value: '' }, { Key: 'env', Value: 'prod' }, { Key: 'team', Value: 'b' }]);
    assert.deepEqual(await ecrOk(w, client, 'UntagResource', { resourceArn, tagKeys: ['env', 'absent'] }), {});
    assert.deepEqual(await list(), [{ Key: 'cost', Value: '' }, { Key: 'team', Value: 'b' }]);
  });

  test(`${client}: resource tag errors (Invalid ARN, RepositoryNotFound, InvalidTagParameter, TooManyTags)`, { timeout: 180_000 }, async (t) => {
    if (!requireClient(t, client)) return;
    const repo = `settings/${client}`;
    const resourceArn = arnOf(repo);
    const badArns = [
      'not-an-arn',
      `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/${repo}`,
      `arn:aws:ecr:${TEST_REGION}:111122223333:repository/${repo}`,
      `arn:aws:ecr:${TEST_REGION}:${ACCOUNT}:repository/`,
      `arn:aws:ecr:${TEST_REGION}:${ACCOUNT}:registry/${ACCOUNT}`,
      'arn:aws:s3:::bucket',
    ];
    for (const arn of badArns) {
      await expectError(client, 'ListTagsForResource', { resourceArn: arn }, 'InvalidParameterException', INVALID_ARN);
    }
    await expectError(client, 'TagResource', { resourceArn: badArns[1], tags: [{ Key: 'k', Value: 'v' }] }, 'InvalidParameterException', INVALID_ARN);
    await expectError(client, 'UntagResource', { resourceArn: badArns[2], tagKeys: ['k'] }, 'InvalidParameterException', INVALID_ARN);

    const missing = arnOf('settings/missing');
    await expectError(client, 'ListTagsForResource', { resourceArn: missing }, 'RepositoryNotFoundException', notFound('settings/missing'));
    await expectError(client, 'TagResource', { resourceArn: missing, tags: [{ Key: 'k', Value: 'v' }] }, 'RepositoryNotFoundException', notFound('settings/missing'));
    await expectError(client, 'UntagResource', { resourceArn: missing, tagKeys: ['k'] }, 'RepositoryNotFoundException', notFound('settings/missing'));

    const reserved = "Invalid tag key 'aws:owner': keys must be 1-128 characters and may not start with 'aws:'.";
    await expectError(client, 'TagResource', { resourceArn, tags: [{ Key: 'aws:owner', Value: 'me' }] }, 'InvalidTagParameterException', reserved);
    await expectError(client, 'UntagResource', { resourceArn, tagKeys: ['aws:owner'] }, 'InvalidTagParameterException', reserved);
    await expectError(client, 'TagResource', { resourceArn, tags: [{ Key: 'long', Value: 'v'.repeat(257) }] }, 'InvalidTagParameterException',
      "Invalid value for tag key 'long': values must be at most 256 characters.");

    const before = (await ecrOk(w, client, 'ListTagsForResource', { resourceArn })).tags as unknown[];
    const many = (n: number) => Array.from({ length: n }, (_, i) => ({ Key: `k${i}`, Value: String(i) }));
    await expectError(client, 'TagResource', { resourceArn, tags: many(51) }, 'TooManyTagsException', 'A resource can have at most 50 tags.');
    // Past 50 only together with the existing tags: refused as a whole, nothing added.
    await expectError(client, 'TagResource', { resourceArn, tags: many(51 - before.length) }, 'TooManyTagsException', 'A resource can have at most 50 tags.');
    assert.deepEqual((await ecrOk(w, client, 'ListTagsForResource', { resourceArn })).tags, before);
  });
}

test('tag mutability set through the API governs /v2/ pushes', async () => {
  const repo = 'settings/pushes';
  const reg = new RegistryClient(w.url);
  const a = buildImage({ layers: ['gzip'], layerBytes: 64 });
  const b = buildImage({ layers: ['gzip'], layerBytes: 64 });
  for (const img of [a, b]) for (const data of img.blobs.values()) await reg.ensureBlob(repo, data);
  const put = async (tag: string, img: typeof a) => {
    const r = await reg.putManifest(repo, tag, img.bytes, img.descriptor.mediaType);
    return { status: r.status, code: r.json?.errors?.[0]?.code as string | undefined, message: r.json?.errors?.[0]?.message as string | undefined };
  };
  const immutable = (tag: string) => ({ status: 400, code: 'TAG_INVALID', message: `The image tag '${tag}' already exists in the '${repo}' repository and cannot be overwritten because the tag is immutable.` });
  const created = { status: 201, code: undefined, message: undefined };
  for (const tag of ['v1', 'latest', 'dev-1']) assert.deepEqual(await put(tag, a), created);

  await ecrOk(w, 'sdk-v3', 'PutImageTagMutability', { repositoryName: repo, imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', imageTagMutabilityExclusionFilters: filters('latest', 'dev-*') });
  assert.deepEqual(await put('v1', b), immutable('v1'));
  assert.deepEqual(await put('latest', b), created);
  assert.deepEqual(await put('dev-1', b), created);

  await ecrOk(w, 'sdk-v3', 'PutImageTagMutability', { repositoryName: repo, imageTagMutability: 'MUTABLE_WITH_EXCLUSION', imageTagMutabilityExclusionFilters: filters('release-*') });
  assert.deepEqual(await put('release-1', a), created);
  assert.deepEqual(await put('release-1', b), immutable('release-1'));
  assert.deepEqual(await put('v1', b), created);

  await ecrOk(w, 'sdk-v3', 'PutImageTagMutability', { repositoryName: repo, imageTagMutability: 'IMMUTABLE' });
  assert.deepEqual(await put('latest', a), immutable('latest'));
  await ecrOk(w, 'sdk-v3', 'PutImageTagMutability', { repositoryName: repo, imageTagMutability: 'MUTABLE' });
  assert.deepEqual(await put('release-1', a), created);
});

test('tags given at CreateRepository are the resource tags ListTagsForResource reports', async () => {
  await ecrOk(w, 'sdk-v3', 'CreateRepository', { repositoryName: 'settings/created', tags: [{ Key: 'b', Value: '2' }, { Key: 'a', Value: '1' }] });
  assert.deepEqual(await ecrOk(w, 'sdk-v3', 'ListTagsForResource', { resourceArn: arnOf('settings/created') }), { tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] });
  assert.equal((await describe('settings/created')).repositoryArn, arnOf('settings/created'));
});
