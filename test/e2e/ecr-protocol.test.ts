// The ECR control plane's wire protocol as AWS clients see it (AWS JSON 1.1): routing by X-Amz-Target,
// framework errors (unknown operation, serialization, validation, unsupported), the response headers
// and body shapes the SDKs parse, and epoch-second timestamps. Raw signed requests where clients
// refuse to send bad input; the aws CLI and SDK v3 where they do send it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { CreateRepositoryCommand, DescribeRepositoriesCommand, ECRClient, RepositoryNotFoundException } from '@aws-sdk/client-ecr';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { ECR_MODEL } from '../../src/http/ecr/model.ts';
import { operations } from '../../src/http/ecr/ops/index.ts';
import { startWharf, TEST_CREDENTIALS, TEST_REGION, type RunningWharf } from '../helpers/server.ts';
import { requireTools } from '../helpers/tools.ts';
import { boto3 } from './ecr-images-support.ts';

const PREFIX = 'AmazonEC2ContainerRegistry_V20150921';
const JSON_11 = 'application/x-amz-json-1.1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** POST / signed like SDK v3 does it, with any target and body bytes (valid or not). */
async function ecrRaw(w: RunningWharf, target: string, body: string, o: { sign?: boolean } = {}) {
  const u = new URL(w.url);
  const headers: Record<string, string> = { host: u.host, 'content-type': JSON_11, 'x-amz-target': target };
  let h = headers;
  if (o.sign !== false) {
    const signer = new SignatureV4({ service: 'ecr', region: TEST_REGION, credentials: TEST_CREDENTIALS, sha256: Sha256 });
    h = (await signer.sign({ method: 'POST', protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: '/', query: {}, headers, body })).headers;
  }
  const { host: _, ...send } = h;
  const r = await fetch(`${w.url}/`, { method: 'POST', headers: send, body });
  const text = await r.text();
  let json: any;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, headers: r.headers, text, json };
}

/** Runs `aws ecr ...`; returns the parsed output or the error code and message the CLI printed. */
function awsEcr(w: RunningWharf, args: string[]): Promise<{ out?: any; code?: string; message?: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('aws', ['ecr', ...args, '--output', 'json'], { env: { ...process.env, ...w.awsEnv }, timeout: 60_000 }, (err, stdout, stderr) => {
      if (!err) return resolve({ out: stdout.trim() ? JSON.parse(stdout) : {}, stderr });
      const m = stderr.match(/An error occurred \((\w+)\) when calling the \w+ operation(?: \(reached max retries: \d+\))?: (.*)/s);
      resolve({ code: m?.[1], message: m?.[2].trim(), stderr });
    });
  });
}

function assertAwsError(r: Awaited<ReturnType<typeof ecrRaw>>, type: string, message?: string | RegExp) {
  assert.equal(r.status, type === 'ServerException' ? 500 : 400, r.text);
  assert.equal(r.headers.get('content-type'), JSON_11);
  assert.equal(r.headers.get('x-amzn-errortype'), type);
  assert.match(r.headers.get('x-amzn-requestid') ?? '', UUID);
  assert.equal(r.json.__type, type, r.text);
  assert.equal(typeof r.json.message, 'string');
  if (typeof message === 'string') assert.equal(r.json.message, message);
  else if (message) assert.match(r.json.message, message);
}

describe('ECR wire protocol', () => {
  let w: RunningWharf;
  let sdk: ECRClient;
  before(async () => {
    w = await startWharf({ repositories: ['proto/existing'] });
    sdk = new ECRClient({ endpoint: w.url, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  });
  after(async () => {
    sdk?.destroy();
    await w?.stop();
  });

  test('an unknown X-Amz-Target answers UnknownOperationException', async () => {
    assertAwsError(await ecrRaw(w, `${PREFIX}.FlyToTheMoon`, '{}'), 'UnknownOperationException', `Unknown operation ${PREFIX}.FlyToTheMoon`);
    assertAwsError(await ecrRaw(w, 'SpencerFrontendService.DescribeRegistries', '{}'), 'UnknownOperationException', /SpencerFrontendService\.DescribeRegistries/);
    assertAwsError(await ecrRaw(w, '', '{}'), 'UnknownOperationException');
  });

  test('a body that is not JSON answers SerializationException', async () => {
    for (const body of ['{"repositoryName": ', 'not json', '{"a":1}}']) {
      assertAwsError(await ecrRaw(w, `${PREFIX}.DescribeRepositories`, body), 'SerializationException');
    }
  });

  test('a member of the wrong type answers SerializationException', async () => {
    assertAwsError(await ecrRaw(w, `${PREFIX}.CreateRepository`, '{"repositoryName": 5}'), 'SerializationException', /repositoryName/);
    assertAwsError(await ecrRaw(w, `${PREFIX}.DescribeRepositories`, '{"maxResults": "5"}'), 'SerializationException', /maxResults/);
    assertAwsError(await ecrRaw(w, `${PREFIX}.DescribeRepositories`, '{"repositoryNames": "proto/existing"}'), 'SerializationException', /repositoryNames/);
    assertAwsError(await ecrRaw(w, `${PREFIX}.DescribeRepositories`, '[]'), 'SerializationException');
  });

  const ip = (member: string, reason: string) => `Invalid parameter at '${member}' failed to satisfy constraint: '${reason}'`;

  test('a 300-character repository name answers InvalidParameterException with ECR wording (aws CLI sends it)', async (t) => {
    if (!requireTools(t, 'aws')) return;
    const name = 'a'.repeat(300);
    const r = await awsEcr(w, ['describe-repositories', '--repository-names', name]);
    assert.equal(r.code, 'InvalidParameterException', r.stderr);
    assert.equal(r.message, ip('repositoryNames.1.member', 'Member must have length less than or equal to 256'));
    const c = await awsEcr(w, ['create-repository', '--repository-name', name]);
    assert.equal(c.code, 'InvalidParameterException', c.stderr);
    assert.equal(c.message, ip('repositoryName', 'Member must have length less than or equal to 256'));
  });

  test('aws CLI: an enum value outside the model is InvalidParameterException listing the set (CreateRepository, PutImageTagMutability)', async (t) => {
    if (!requireTools(t, 'aws')) return;
    // ECR's own text (ecr.md §2.4), whose order differs from the model's.
    const set = 'Member must satisfy enum value set: [IMMUTABLE, MUTABLE, MUTABLE_WITH_EXCLUSION, IMMUTABLE_WITH_EXCLUSION]';
    const c = await awsEcr(w, ['create-repository', '--repository-name', 'proto/enum', '--image-tag-mutability', 'SOMETIMES']);
    assert.equal(c.code, 'InvalidParameterException', c.stderr);
    assert.equal(c.message, ip('imageTagMutability', set));
    const p = await awsEcr(w, ['put-image-tag-mutability', '--repository-name', 'proto/existing', '--image-tag-mutability', 'mutable']);
    assert.equal(p.code, 'InvalidParameterException', p.stderr);
    assert.equal(p.message, ip('imageTagMutability', set));
    const d = await awsEcr(w, ['describe-repositories', '--repository-names', 'proto/enum']);
    assert.equal(d.code, 'RepositoryNotFoundException', 'nothing was created');
  });

  test('boto3 without client-side validation: lengths, ranges, enums and patterns of InvalidParameterException operations', async (t) => {
    if (!requireTools(t, 'python3')) return;
    const out = await boto3(w, `
from botocore.config import Config
raw = boto3.client('ecr', config=Config(parameter_validation=False))
def call(f, **kw):
    try:
        f(**kw); return ['ok', '']
    except ClientError as e:
        return [e.response['Error']['Code'], e.response['Error']['Message']]
out = [
    call(raw.describe_repositories, maxResults=0),
    call(raw.list_images, repositoryName='proto/existing', maxResults=1001),
    call(raw.describe_images, repositoryName='proto/existing', filter={'tagStatus': 'SOME'}),
    call(raw.batch_get_image, repositoryName='proto/existing', imageIds=[]),
    call(raw.put_image, repositoryName='proto/existing', imageManifest='{}', imageTag='t' * 301),
    call(raw.describe_repositories, registryId='abc'),
    call(raw.create_repository, repositoryName='x'),
    call(raw.get_lifecycle_policy, repositoryName='x'),
]
`);
    const model = ECR_MODEL.shapes as Record<string, { pattern?: string; enum?: string[] }>;
    assert.deepEqual(out, [
      ['InvalidParameterException', ip('maxResults', 'Member must have value greater than or equal to 1')],
      ['InvalidParameterException', ip('maxResults', 'Member must have value less than or equal to 1000')],
      ['InvalidParameterException', ip('filter.tagStatus', `Member must satisfy enum value set: [${model.TagStatus.enum!.join(', ')}]`)],
      ['InvalidParameterException', ip('imageIds', 'Member must have length greater than or equal to 1')],
      ['InvalidParameterException', ip('imageTag', 'Member must have length less than or equal to 300')],
      ['InvalidParameterException', ip('registryId', `must satisfy regular expression '${model.RegistryId.pattern}'`)],
      ['InvalidParameterException', ip('repositoryName', 'Member must have length greater than or equal to 2')],
      // GetLifecyclePolicy lists ValidationException: the AWS front end's wording stays.
      ['ValidationException', "1 validation error detected: Value 'x' at 'repositoryName' failed to satisfy constraint: Member must have length greater than or equal to 2"],
    ]);
  });

  test('maxResults 0 answers InvalidParameterException (SDK v3 sends it; botocore would refuse)', async () => {
    const message = ip('maxResults', 'Member must have value greater than or equal to 1');
    await assert.rejects(sdk.send(new DescribeRepositoriesCommand({ maxResults: 0 })), (e: any) => {
      assert.equal(e.name, 'InvalidParameterException');
      assert.equal(e.message, message);
      assert.equal(e.$metadata.httpStatusCode, 400);
      assert.match(e.$metadata.requestId, UUID);
      return true;
    });
    const raw = await ecrRaw(w, `${PREFIX}.DescribeRepositories`, '{"maxResults":0}');
    assertAwsError(raw, 'InvalidParameterException', message);
  });

  test('several violations are counted in one ValidationException where the model lists it', async () => {
    const r = await ecrRaw(w, `${PREFIX}.GetLifecyclePolicyPreview`, JSON.stringify({ registryId: 'abc', repositoryName: 'proto/existing', maxResults: 5000 }));
    assertAwsError(r, 'ValidationException', /^2 validation errors detected: /);
    assert.match(r.json.message, /Value 'abc' at 'registryId' failed to satisfy constraint: Member must satisfy regular expression pattern: \[0-9\]\{12\}/);
    assert.match(r.json.message, /Value '5000' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100/);
  });

  test('an operation whose model lists no ValidationException reports one violation as InvalidParameterException', async () => {
    const r = await ecrRaw(w, `${PREFIX}.DescribeRepositories`, JSON.stringify({ registryId: 'abc', maxResults: 5000 }));
    assertAwsError(r, 'InvalidParameterException');
    const either = [ip('registryId', "must satisfy regular expression '[0-9]{12}'"), ip('maxResults', 'Member must have value less than or equal to 1000')];
    assert.ok(either.includes(r.json.message), r.json.message);
    const missing = await ecrRaw(w, `${PREFIX}.BatchGetImage`, JSON.stringify({ repositoryName: 'proto/existing' }));
    assertAwsError(missing, 'InvalidParameterException', ip('imageIds', 'Member must not be null'));
  });

  test('an operation of the ECR model that Wharf does not implement answers UnsupportedCommandException naming it', async (t) => {
    // CreatePullThroughCacheRule unless it has been implemented since; then any unimplemented operation.
    const name = !operations.CreatePullThroughCacheRule ? 'CreatePullThroughCacheRule'
      : Object.keys(ECR_MODEL.operations).find((n) => !operations[n] && !ECR_MODEL.shapes[ECR_MODEL.operations[n].input?.shape ?? '']?.required?.length);
    if (!name) return t.skip('every operation of the model is implemented');
    const body = name === 'CreatePullThroughCacheRule' ? { ecrRepositoryPrefix: 'hub', upstreamRegistryUrl: 'registry-1.docker.io' } : {};
    assertAwsError(await ecrRaw(w, `${PREFIX}.${name}`, JSON.stringify(body)), 'UnsupportedCommandException', `Wharf does not implement the ECR operation '${name}' yet.`);
    if (name === 'CreatePullThroughCacheRule' && requireTools(t, 'aws')) {
      const r = await awsEcr(w, ['create-pull-through-cache-rule', '--ecr-repository-prefix', 'hub', '--upstream-registry-url', 'registry-1.docker.io']);
      assert.equal(r.code, 'UnsupportedCommandException', r.stderr);
      assert.equal(r.message, "Wharf does not implement the ECR operation 'CreatePullThroughCacheRule' yet.");
    }
  });

  test('every answer carries a fresh x-amzn-RequestId, successes and errors alike', async () => {
    const answers = [
      await ecrRaw(w, `${PREFIX}.DescribeRepositories`, '{}'),
      await ecrRaw(w, `${PREFIX}.DescribeRepositories`, '{}'),
      await ecrRaw(w, `${PREFIX}.DescribeRepositories`, '{}', { sign: false }),
      await ecrRaw(w, `${PREFIX}.Nope`, '{}'),
      await ecrRaw(w, `${PREFIX}.DescribeRepositories`, '{'),
      await ecrRaw(w, `${PREFIX}.DescribeRepositories`, '{"repositoryNames":["proto/absent"]}'),
    ];
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 400, 400, 400, 400]);
    const ids = answers.map((a) => a.headers.get('x-amzn-requestid') ?? '');
    for (const id of ids) assert.match(id, UUID);
    assert.equal(new Set(ids).size, ids.length, 'request ids are unique');
    const out = await sdk.send(new DescribeRepositoriesCommand({}));
    assert.match(out.$metadata.requestId ?? '', UUID);
  });

  test('successes are application/x-amz-json-1.1 without an error type; errors are {"__type","message"} with x-amzn-ErrorType', async () => {
    const ok = await ecrRaw(w, `${PREFIX}.DescribeRepositories`, '{}');
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('content-type'), JSON_11);
    assert.equal(ok.headers.get('x-amzn-errortype'), null);
    const missing = await ecrRaw(w, `${PREFIX}.DescribeRepositories`, '{"repositoryNames":["proto/absent"]}');
    assertAwsError(missing, 'RepositoryNotFoundException', "The repository with name 'proto/absent' does not exist in the registry with id '000000000000'");
    assert.deepEqual(Object.keys(missing.json).sort(), ['__type', 'message']);
    // The SDK maps it onto its modeled exception class.
    await assert.rejects(sdk.send(new DescribeRepositoriesCommand({ repositoryNames: ['proto/absent'] })), (e: unknown) => e instanceof RepositoryNotFoundException);
  });

  test('an empty body is accepted as {} for operations without required input', async () => {
    const r = await ecrRaw(w, `${PREFIX}.DescribeRegistry`, '');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { registryId: '000000000000', replicationConfiguration: { rules: [] } });
  });

  test('timestamps are epoch-second numbers, and absent members are omitted', async () => {
    const before = Date.now() / 1000;
    const r = await ecrRaw(w, `${PREFIX}.CreateRepository`, '{"repositoryName":"proto/timestamps"}');
    assert.equal(r.status, 200, r.text);
    const createdAt = r.json.repository.createdAt;
    assert.equal(typeof createdAt, 'number');
    assert.ok(createdAt >= Math.floor(before) - 1 && createdAt <= Date.now() / 1000 + 1, String(createdAt));
    assert.match(r.text, /"createdAt":\d+(\.\d+)?[,}]/);
    assert.equal('imageTagMutabilityExclusionFilters' in r.json.repository, false);
    const t = await ecrRaw(w, `${PREFIX}.GetAuthorizationToken`, '{}');
    assert.equal(typeof t.json.authorizationData[0].expiresAt, 'number');
    // SDK v3 reads them back as Dates.
    const out = await sdk.send(new CreateRepositoryCommand({ repositoryName: 'proto/timestamps-sdk' }));
    assert.ok(out.repository?.createdAt instanceof Date);
    assert.ok(Math.abs(out.repository!.createdAt!.getTime() - Date.now()) < 60_000);
  });
});
