// CreateRepository and DeleteRepository end to end (aws CLI, boto3, SDK v3 against a listening Wharf):
// ECR's Repository shape and defaults, encryption, tags and tag mutability at creation, every error a
// client can trigger, deletion with and without images, and one model shared by the ECR API, /v2/
// and the admin CLI.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DescribeRepositoriesCommand } from '@aws-sdk/client-ecr';
import { RegistryClient } from '../helpers/registry-client.ts';
import { authedFetch as fetch, startWharf, TEST_REGION, wharfCli, type RunningWharf } from '../helpers/server.ts';
import { closeSdkClient, ECR_CLIENTS, ecrErr, ecrOk, requireClient, sdkClient, type EcrClientName } from './ecr-clients.ts';
import { smallImage } from './ecr-images-support.ts';

const ACCOUNT = '000000000000';
const OTHER = '111122223333';
const arnOf = (repo: string) => `arn:aws:ecr:${TEST_REGION}:${ACCOUNT}:repository/${repo}`;
const notFound = (repo: string, registryId = ACCOUNT) => `The repository with name '${repo}' does not exist in the registry with id '${registryId}'`;
const AWS_MANAGED_KEY = `arn:aws:kms:${TEST_REGION}:${ACCOUNT}:alias/aws/ecr`;
const NAME_PATTERN = '[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(\\/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*';
const SEEDED = 'admin/seeded';
const PULL_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'pull', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'] }],
});

let w: RunningWharf;
before(async () => {
  w = await startWharf({ repositories: [SEEDED] });
});
after(async () => {
  if (!w) return;
  closeSdkClient(w);
  await w.stop();
});

type Repo = Record<string, any>;

/** ECR's Repository for `name` with the defaults, overridden by `extra` (createdAt left out). */
function expected(name: string, extra: Repo = {}): Repo {
  return {
    repositoryArn: arnOf(name), registryId: ACCOUNT, repositoryName: name, repositoryUri: `${w.hostPort}/${name}`,
    imageTagMutability: 'MUTABLE', imageScanningConfiguration: { scanOnPush: false }, encryptionConfiguration: { encryptionType: 'AES256' },
    ...extra,
  };
}

/** `r` without createdAt, after checking createdAt is a timestamp of the last minutes (seconds). */
function settled(r: Repo): Repo {
  const { createdAt, ...rest } = r;
  // The CLI and boto3 give the wire's epoch seconds; the SDK a Date (ISO text once normalised).
  const secs = typeof createdAt === 'string' ? Date.parse(createdAt) / 1000 : createdAt;
  assert.equal(typeof secs, 'number', `createdAt ${createdAt}`);
  assert.ok(Math.abs(secs - Date.now() / 1000) < 600, `createdAt ${createdAt} is recent`);
  return rest;
}

async function create(client: EcrClientName, input: Record<string, unknown>): Promise<Repo> {
  return (await ecrOk(w, client, 'CreateRepository', input)).repository as Repo;
}

async function describeOne(client: EcrClientName, name: string): Promise<Repo> {
  return ((await ecrOk(w, client, 'DescribeRepositories', { repositoryNames: [name] })).repositories as Repo[])[0];
}

async function expectError(client: EcrClientName, op: string, input: Record<string, unknown>, code: string, message: string): Promise<void> {
  const e = await ecrErr(w, client, op, input);
  assert.deepEqual({ code: e.code, message: e.message }, { code, message }, `${client} ${op} ${JSON.stringify(input).slice(0, 200)}`);
}

async function expectAbsent(client: EcrClientName, name: string): Promise<void> {
  await expectError(client, 'DescribeRepositories', { repositoryNames: [name] }, 'RepositoryNotFoundException', notFound(name));
}

const filters = (...fs: string[]) => fs.map((filter) => ({ filterType: 'WILDCARD', filter }));

for (const client of ECR_CLIENTS) {
  const p = `repos/${client}`;

  test(`${client}: CreateRepository answers ECR's Repository with the defaults; Describe and Delete report the same`, { timeout: 120_000 }, async (t) => {
    if (!requireClient(t, client)) return;
    const name = `${p}/plain`;
    const made = await create(client, { repositoryName: name });
    assert.deepEqual(settled(made), expected(name));
    assert.deepEqual(await describeOne(client, name), made);
    assert.deepEqual(settled(await create(client, { registryId: ACCOUNT, repositoryName: `${p}/own-registry` })), expected(`${p}/own-registry`));
    const gone = await ecrOk(w, client, 'DeleteRepository', { repositoryName: name });
    assert.deepEqual(gone, { repository: made });
    await expectAbsent(client, name);
    await expectError(client, 'DeleteRepository', { repositoryName: name }, 'RepositoryNotFoundException', notFound(name));
  });

  test(`${client}: CreateRepository with scan-on-push, tag mutability and encryption settings`, { timeout: 120_000 }, async (t) => {
    if (!requireClient(t, client)) return;
    const cases: [string, Record<string, unknown>, Repo][] = [
      ['scan', { imageScanningConfiguration: { scanOnPush: true } }, { imageScanningConfiguration: { scanOnPush: true } }],
      ['immutable', { imageTagMutability: 'IMMUTABLE' }, { imageTagMutability: 'IMMUTABLE' }],
      ['immutable-ex', { imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', imageTagMutabilityExclusionFilters: filters('latest', 'dev-*') },
        { imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', imageTagMutabilityExclusionFilters: filters('latest', 'dev-*') }],
      ['mutable-ex', { imageTagMutability: 'MUTABLE_WITH_EXCLUSION', imageTagMutabilityExclusionFilters: filters('release-*') },
        { imageTagMutability: 'MUTABLE_WITH_EXCLUSION', imageTagMutabilityExclusionFilters: filters('release-*') }],
      ['aes', { encryptionConfiguration: { encryptionType: 'AES256' } }, {}],
      ['kms', { encryptionConfiguration: { encryptionType: 'KMS' } }, { encryptionConfiguration: { encryptionType: 'KMS', kmsKey: AWS_MANAGED_KEY } }],
      ['kms-key', { encryptionConfiguration: { encryptionType: 'KMS', kmsKey: `arn:aws:kms:${TEST_REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab` } },
        { encryptionConfiguration: { encryptionType: 'KMS', kmsKey: `arn:aws:kms:${TEST_REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab` } }],
      ['dsse', { encryptionConfiguration: { encryptionType: 'KMS_DSSE' } }, { encryptionConfiguration: { encryptionType: 'KMS_DSSE', kmsKey: AWS_MANAGED_KEY } }],
      ['dsse-key', { encryptionConfiguration: { encryptionType: 'KMS_DSSE', kmsKey: 'alias/mine' } }, { encryptionConfiguration: { encryptionType: 'KMS_DSSE', kmsKey: 'alias/mine' } }],
    ];
    for (const [suffix, input, extra] of cases) {
      const name = `${p}/${suffix}`;
      const made = await create(client, { repositoryName: name, ...input });
      assert.deepEqual(settled(made), expected(name, extra), suffix);
      assert.deepEqual(await describeOne(client, name), made, suffix);
    }
  });

  test(`${client}: tags given at CreateRepository are its resource tags`, { timeout: 120_000 }, async (t) => {
    if (!requireClient(t, client)) return;
    const name = `${p}/tagged`;
    await create(client, { repositoryName: name, tags: [{ Key: 'team', Value: 'a' }, { Key: 'cost', Value: '' }] });
    assert.deepEqual(await ecrOk(w, client, 'ListTagsForResource', { resourceArn: arnOf(name) }), { tags: [{ Key: 'cost', Value: '' }, { Key: 'team', Value: 'a' }] });
    const fifty = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: String(i) }));
    await create(client, { repositoryName: `${p}/fifty-tags`, tags: fifty });
    assert.equal(((await ecrOk(w, client, 'ListTagsForResource', { resourceArn: arnOf(`${p}/fifty-tags`) })).tags as unknown[]).length, 50);
  });

  test(`${client}: CreateRepository errors, and none of them creates a repository`, { timeout: 180_000 }, async (t) => {
    if (!requireClient(t, client)) return;
    const name = `${p}/exists`;
    await create(client, { repositoryName: name });
    const exists = (n: string) => `The repository with name '${n}' already exists in the registry with id '${ACCOUNT}'`;
    await expectError(client, 'CreateRepository', { repositoryName: name }, 'RepositoryAlreadyExistsException', exists(name));
    await expectError(client, 'CreateRepository', { repositoryName: SEEDED, imageTagMutability: 'IMMUTABLE' }, 'RepositoryAlreadyExistsException', exists(SEEDED));
    assert.equal((await describeOne(client, SEEDED)).imageTagMutability, 'MUTABLE', 'the existing repository is unchanged');

    const refused: [string, Record<string, unknown>, string, string][] = [
      ['aes-key', { encryptionConfiguration: { encryptionType: 'AES256', kmsKey: 'alias/mine' } }, 'InvalidParameterException',
        "Invalid parameter at 'encryptionConfiguration.kmsKey' failed to satisfy constraint: 'kmsKey can only be specified when encryptionType is KMS or KMS_DSSE'"],
      ['no-filters', { imageTagMutability: 'MUTABLE_WITH_EXCLUSION' }, 'InvalidParameterException',
        "Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: 'ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as MUTABLE_WITH_EXCLUSION'"],
      ['stray-filters', { imageTagMutability: 'IMMUTABLE', imageTagMutabilityExclusionFilters: filters('x') }, 'InvalidParameterException',
        "Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: 'ImageTagMutabilityExclusionFilters can only be used when imageTagMutability is set as MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION'"],
      ['bad-encryption', { encryptionConfiguration: { encryptionType: 'RSA' } }, 'InvalidParameterException',
        "Invalid parameter at 'encryptionConfiguration.encryptionType' failed to satisfy constraint: 'Member must satisfy enum value set: [AES256, KMS, KMS_DSSE]'"],
      ['too-many-tags', { tags: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) }, 'TooManyTagsException', 'A resource can have at most 50 tags.'],
      ['reserved-tag', { tags: [{ Key: 'aws:owner', Value: 'me' }] }, 'InvalidTagParameterException',
        "Invalid tag key 'aws:owner': keys must be 1-128 characters and may not start with 'aws:'."],
      ['other-registry', { registryId: OTHER }, 'RepositoryNotFoundException', notFound(`${p}/other-registry`, OTHER)],
    ];
    for (const [suffix, input, code, message] of refused) {
      await expectError(client, 'CreateRepository', { repositoryName: `${p}/${suffix}`, ...input }, code, message);
      await expectAbsent(client, `${p}/${suffix}`);
    }

    // Names: a grammar violation and a length outside 2-256 are both ECR's InvalidParameterException
    // (CreateRepository's model lists no ValidationException).
    const badName = (constraint: string) => `Invalid parameter at 'repositoryName' failed to satisfy constraint: 'Member must ${constraint}'`;
    for (const n of ['Upper', 'a//b', '/lead', 'trail/', 'a..b', '-a']) {
      await expectError(client, 'CreateRepository', { repositoryName: n }, 'InvalidParameterException',
        `Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '${NAME_PATTERN}''`);
    }
    const long = 'a'.repeat(257);
    await expectError(client, 'CreateRepository', { repositoryName: long }, 'InvalidParameterException', badName('have length less than or equal to 256'));
    const longest = `${p}/${'c'.repeat(256 - p.length - 1)}`;
    assert.deepEqual(settled(await create(client, { repositoryName: longest })), expected(longest));
  });

  test(`${client}: DeleteRepository refuses a repository with images unless forced; force removes images and tags`, { timeout: 120_000 }, async (t) => {
    if (!requireClient(t, client)) return;
    const name = `${p}/full`;
    const reg = new RegistryClient(w.url);
    const made = await create(client, { repositoryName: name, tags: [{ Key: 'team', Value: 'a' }] });
    const img = smallImage();
    await reg.push(name, img, 'v1');
    await ecrOk(w, client, 'SetRepositoryPolicy', { repositoryName: name, policyText: PULL_POLICY });
    await expectError(client, 'DeleteRepository', { repositoryName: name }, 'RepositoryNotEmptyException',
      `The repository with name '${name}' in registry with id '${ACCOUNT}' cannot be deleted because it still contains images`);
    await expectError(client, 'DeleteRepository', { repositoryName: name, force: false }, 'RepositoryNotEmptyException',
      `The repository with name '${name}' in registry with id '${ACCOUNT}' cannot be deleted because it still contains images`);
    assert.equal((await reg.getManifest(name, 'v1')).status, 200, 'a refused delete leaves the image');

    await expectError(client, 'DeleteRepository', { registryId: OTHER, repositoryName: name, force: true }, 'RepositoryNotFoundException', notFound(name, OTHER));
    assert.deepEqual(await ecrOk(w, client, 'DeleteRepository', { repositoryName: name, force: true }), { repository: made });
    await expectError(client, 'DescribeImages', { repositoryName: name }, 'RepositoryNotFoundException', notFound(name));
    await expectError(client, 'ListTagsForResource', { resourceArn: arnOf(name) }, 'RepositoryNotFoundException', notFound(name));
    for (const r of [await reg.getManifest(name, 'v1'), await reg.getManifest(name, img.descriptor.digest), await reg.tags(name)]) {
      assert.equal(r.status, 404, r.describe());
      assert.equal(r.json?.errors?.[0]?.code, 'NAME_UNKNOWN', r.describe());
    }
    // A new repository of the same name starts empty: no image, no image tag, no resource tag, no policy.
    await create(client, { repositoryName: name });
    assert.deepEqual(await ecrOk(w, client, 'ListImages', { repositoryName: name }), { imageIds: [] });
    assert.deepEqual(await ecrOk(w, client, 'ListTagsForResource', { resourceArn: arnOf(name) }), { tags: [] });
    await expectError(client, 'GetRepositoryPolicy', { repositoryName: name }, 'RepositoryPolicyNotFoundException',
      `Repository policy does not exist for the repository with name '${name}' in the registry with id '${ACCOUNT}'`);
    assert.equal((await reg.getManifest(name, 'v1')).status, 404);
    // force on an empty repository is fine too.
    assert.equal(((await ecrOk(w, client, 'DeleteRepository', { repositoryName: name, force: true })).repository as Repo).repositoryName, name);
    await expectError(client, 'DeleteRepository', { repositoryName: `${p}/never` }, 'RepositoryNotFoundException', notFound(`${p}/never`));
  });
}

test('sdk-v3: names the CLI and boto3 refuse locally get the server\'s InvalidParameterException', async () => {
  const tooShort = "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'Member must have length greater than or equal to 2'";
  await expectError('sdk-v3', 'CreateRepository', { repositoryName: 'a' }, 'InvalidParameterException', tooShort);
  // Two violations (length and pattern): InvalidParameterException reports the first.
  await expectError('sdk-v3', 'CreateRepository', { repositoryName: '' }, 'InvalidParameterException', tooShort);
  await expectError('sdk-v3', 'DeleteRepository', { repositoryName: 'a' }, 'InvalidParameterException', tooShort);
  // GetLifecyclePolicy's model lists ValidationException: the AWS front end's wording, every violation counted.
  await expectError('sdk-v3', 'GetLifecyclePolicy', { repositoryName: '' }, 'ValidationException',
    "2 validation errors detected: Value '' at 'repositoryName' failed to satisfy constraint: Member must have length greater than or equal to 2; "
    + `Value '' at 'repositoryName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME_PATTERN}`);
  // The SDK parses createdAt (epoch seconds on the wire) into a Date.
  const out = await sdkClient(w).send(new DescribeRepositoriesCommand({ repositoryNames: [SEEDED] }));
  assert.ok(out.repositories![0].createdAt instanceof Date);
});

test('the admin CLI, the ECR API and /v2/ share one set of repositories', { timeout: 120_000 }, async () => {
  const catalog = async () => {
    const r = await fetch(`${w.url}/v2/_catalog?n=1000`);
    assert.equal(r.status, 200);
    return ((await r.json()) as { repositories: string[] }).repositories;
  };
  const cliList = async () => {
    const r = await wharfCli(['repositories', 'list', '--data-dir', w.dataDir]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.split('\n').filter(Boolean);
  };
  // Created by the admin CLI before the server started.
  assert.deepEqual(settled(await describeOne('sdk-v3', SEEDED)), expected(SEEDED));
  assert.ok((await catalog()).includes(SEEDED));

  // Created through the API: in /v2/_catalog and in the admin CLI's list.
  await create('sdk-v3', { repositoryName: 'planes/api' });
  assert.ok((await catalog()).includes('planes/api'));
  assert.ok((await cliList()).includes('planes/api'));
  const img = smallImage();
  await new RegistryClient(w.url).push('planes/api', img, 'v1');
  assert.deepEqual((await ecrOk(w, 'sdk-v3', 'ListImages', { repositoryName: 'planes/api' })).imageIds, [{ imageDigest: img.descriptor.digest, imageTag: 'v1' }]);

  // Created by the admin CLI while the server runs: visible at once.
  const made = await wharfCli(['repositories', 'create', 'planes/admin', '--data-dir', w.dataDir]);
  assert.equal(made.code, 0, made.stderr);
  assert.deepEqual(settled(await describeOne('sdk-v3', 'planes/admin')), expected('planes/admin'));
  assert.ok((await catalog()).includes('planes/admin'));

  // Deleted through the API: gone from every view.
  await ecrOk(w, 'sdk-v3', 'DeleteRepository', { repositoryName: 'planes/api', force: true });
  assert.equal((await catalog()).includes('planes/api'), false);
  assert.equal((await cliList()).includes('planes/api'), false);
  const all = await ecrOk(w, 'sdk-v3', 'DescribeRepositories', { maxResults: 1000 });
  assert.equal((all.repositories as Repo[]).some((r) => r.repositoryName === 'planes/api'), false);
});
