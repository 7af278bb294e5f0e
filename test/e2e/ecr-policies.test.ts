// Repository and registry policies, DescribeRegistry and account settings through the real clients:
// the aws CLI, boto3 and SDK v3, every success shape and every error path with ECR's exact texts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import {
  DeleteRegistryPolicyCommand, DescribeRegistryCommand, ECRClient, GetAccountSettingCommand, GetRegistryPolicyCommand,
  GetRepositoryPolicyCommand, PutAccountSettingCommand, PutRegistryPolicyCommand, RegistryPolicyNotFoundException,
  SetRepositoryPolicyCommand,
} from '@aws-sdk/client-ecr';
import { startWharf, TEST_CREDENTIALS, TEST_REGION, type RunningWharf } from '../helpers/server.ts';
import { requireTools } from '../helpers/tools.ts';

const ACCOUNT = '000000000000';
const REPO = 'policies/app';
const INVALID_REPO_POLICY = "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'";
const INVALID_REGISTRY_POLICY = "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid registry policy provided'";

const REPO_POLICY = JSON.stringify({
  Version: '2008-10-17',
  Statement: [{ Sid: 'new statement', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::012345678901:role/CodeDeployDemo' },
    Action: ['ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage', 'ecr:BatchCheckLayerAvailability'] }],
});
const REGISTRY_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'ReplicationAccessCrossAccount', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::210987654321:root' },
    Action: ['ecr:CreateRepository', 'ecr:ReplicateImage'], Resource: [`arn:aws:ecr:${TEST_REGION}:${ACCOUNT}:repository/*`] }],
});
const PULL_REGISTRY_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::210987654321:root' }, Action: ['ecr:BatchGetImage'], Resource: '*' }],
});
const LOCKOUT_POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: 'ecr:*' }] });

interface Outcome { out?: any; code?: string; message?: string; raw: string }

/** `aws ecr <args>`; the parsed output, or the error code and message the CLI printed. */
function cli(w: RunningWharf, args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile('aws', ['ecr', ...args, '--output', 'json'], { env: { ...process.env, ...w.awsEnv }, timeout: 60_000 }, (err, stdout, stderr) => {
      if (!err) return resolve({ out: stdout.trim() ? JSON.parse(stdout) : {}, raw: stdout });
      const m = stderr.match(/An error occurred \((\w+)\) when calling the \w+ operation(?: \(reached max retries: \d+\))?: (.*)/s);
      resolve({ code: m?.[1], message: m?.[2].trim(), raw: stderr });
    });
  });
}

const BOTO = `
import json, sys, boto3
from botocore.exceptions import ClientError
op, params = sys.argv[1], json.loads(sys.argv[2])
c = boto3.client('ecr')
try:
    out = getattr(c, op)(**params)
    out.pop('ResponseMetadata', None)
    print(json.dumps({'out': out}, default=str))
except ClientError as e:
    print(json.dumps({'code': e.response['Error']['Code'], 'message': e.response['Error']['Message']}))
`;

/** One boto3 call (`op` is the snake_case method name). */
function boto(w: RunningWharf, op: string, params: Record<string, unknown> = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', BOTO, op, JSON.stringify(params)], { env: { ...process.env, ...w.awsEnv }, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`boto3 ${op} failed: ${stderr}`));
      resolve({ ...JSON.parse(stdout), raw: stdout });
    });
  });
}

/** One SDK v3 call, as an Outcome. */
async function sdkCall(client: ECRClient, command: any): Promise<Outcome> {
  try {
    const { $metadata: _, ...out } = await client.send(command);
    return { out, raw: JSON.stringify(out) };
  } catch (e: any) {
    return { code: e.name, message: e.message, raw: String(e) };
  }
}

function isError(o: Outcome, code: string, message: string, label = ''): void {
  assert.deepEqual({ code: o.code, message: o.message }, { code, message }, `${label} ${o.raw}`);
}

describe('ECR policies and registry settings', () => {
  let w: RunningWharf;
  let sdk: ECRClient;
  before(async () => {
    w = await startWharf({ repositories: [REPO, 'policies/cli', 'policies/boto', 'policies/sdk'] });
    sdk = new ECRClient({ endpoint: w.url, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  });
  after(async () => {
    sdk?.destroy();
    await w?.stop();
  });

  describe('repository policies', () => {
    test('aws CLI: set, get, delete (returning the old text), then RepositoryPolicyNotFoundException', async (t) => {
      if (!requireTools(t, 'aws')) return;
      const repo = 'policies/cli';
      const notFound = `Repository policy does not exist for the repository with name '${repo}' in the registry with id '${ACCOUNT}'`;
      isError(await cli(w, ['get-repository-policy', '--repository-name', repo]), 'RepositoryPolicyNotFoundException', notFound);
      isError(await cli(w, ['delete-repository-policy', '--repository-name', repo]), 'RepositoryPolicyNotFoundException', notFound);
      const expected = { registryId: ACCOUNT, repositoryName: repo, policyText: REPO_POLICY };
      assert.deepEqual((await cli(w, ['set-repository-policy', '--repository-name', repo, '--policy-text', REPO_POLICY])).out, expected);
      assert.deepEqual((await cli(w, ['get-repository-policy', '--repository-name', repo])).out, expected);
      assert.deepEqual((await cli(w, ['delete-repository-policy', '--repository-name', repo])).out, expected);
      isError(await cli(w, ['get-repository-policy', '--repository-name', repo]), 'RepositoryPolicyNotFoundException', notFound);
    });

    test('boto3: set replaces the previous policy, text is returned byte for byte', async (t) => {
      if (!requireTools(t, 'python3')) return;
      const repo = 'policies/boto';
      const pretty = JSON.stringify(JSON.parse(REPO_POLICY), null, 2);
      assert.deepEqual((await boto(w, 'set_repository_policy', { repositoryName: repo, policyText: REPO_POLICY })).out.policyText, REPO_POLICY);
      assert.deepEqual((await boto(w, 'set_repository_policy', { repositoryName: repo, policyText: pretty })).out,
        { registryId: ACCOUNT, repositoryName: repo, policyText: pretty });
      assert.equal((await boto(w, 'get_repository_policy', { repositoryName: repo })).out.policyText, pretty);
      assert.equal((await boto(w, 'delete_repository_policy', { repositoryName: repo })).out.policyText, pretty);
      isError(await boto(w, 'delete_repository_policy', { repositoryName: repo }), 'RepositoryPolicyNotFoundException',
        `Repository policy does not exist for the repository with name '${repo}' in the registry with id '${ACCOUNT}'`);
    });

    test('SDK v3: set and get', async () => {
      const repo = 'policies/sdk';
      assert.deepEqual((await sdkCall(sdk, new SetRepositoryPolicyCommand({ repositoryName: repo, policyText: REPO_POLICY }))).out,
        { registryId: ACCOUNT, repositoryName: repo, policyText: REPO_POLICY });
      assert.equal((await sdkCall(sdk, new GetRepositoryPolicyCommand({ repositoryName: repo }))).out.policyText, REPO_POLICY);
    });

    const INVALID: Array<[string, string]> = [
      ['a Resource element', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'ecr:*', Resource: '*' }] })],
      ['no Principal', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ecr:*' }] })],
      ['no Version', JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 'ecr:*' }] })],
      ['Effect "Permit"', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Permit', Principal: '*', Action: 'ecr:*' }] })],
      ['an empty Statement list', JSON.stringify({ Version: '2012-10-17', Statement: [] })],
      ['no Action', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*' }] })],
      ['a principal ARN with a wildcard', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:*' }, Action: 'ecr:*' }] })],
      ['text that is not JSON', '{"Version":"2012-10-17",'],
      ['an empty text', ''],
    ];
    test('invalid policies answer InvalidParameterException "Invalid repository policy provided" (each client)', async (t) => {
      for (const [why, text] of INVALID) {
        isError(await sdkCall(sdk, new SetRepositoryPolicyCommand({ repositoryName: REPO, policyText: text })), 'InvalidParameterException', INVALID_REPO_POLICY, why);
      }
      if (requireTools(t, 'aws')) isError(await cli(w, ['set-repository-policy', '--repository-name', REPO, '--policy-text', INVALID[0][1]]), 'InvalidParameterException', INVALID_REPO_POLICY);
      if (requireTools(t, 'python3')) isError(await boto(w, 'set_repository_policy', { repositoryName: REPO, policyText: INVALID[1][1] }), 'InvalidParameterException', INVALID_REPO_POLICY);
      isError(await sdkCall(sdk, new GetRepositoryPolicyCommand({ repositoryName: REPO })), 'RepositoryPolicyNotFoundException',
        `Repository policy does not exist for the repository with name '${REPO}' in the registry with id '${ACCOUNT}'`);
    });

    test('a policy longer than 10,240 characters answers InvalidParameterException (SetRepositoryPolicy lists no ValidationException)', async () => {
      const long = JSON.stringify({ Version: '2012-10-17', Id: 'x'.repeat(10_300), Statement: [{ Effect: 'Allow', Principal: '*', Action: 'ecr:*' }] });
      const r = await sdkCall(sdk, new SetRepositoryPolicyCommand({ repositoryName: REPO, policyText: long }));
      assert.equal(r.code, 'InvalidParameterException');
      assert.equal(r.message, "Invalid parameter at 'policyText' failed to satisfy constraint: 'Member must have length less than or equal to 10240'");
    });

    test('a policy that would lock the caller out needs force', async (t) => {
      if (!requireTools(t, 'aws')) return;
      const refused = await cli(w, ['set-repository-policy', '--repository-name', REPO, '--policy-text', LOCKOUT_POLICY]);
      assert.equal(refused.code, 'InvalidParameterException', refused.raw);
      assert.match(refused.message ?? '', /^Invalid parameter at 'PolicyText' failed to satisfy constraint: '.*set force to apply it anyway'$/);
      const forced = await cli(w, ['set-repository-policy', '--repository-name', REPO, '--policy-text', LOCKOUT_POLICY, '--force']);
      assert.deepEqual(forced.out, { registryId: ACCOUNT, repositoryName: REPO, policyText: LOCKOUT_POLICY });
      // The account's root can always read and remove a repository policy (the way out of a lockout).
      assert.equal((await cli(w, ['delete-repository-policy', '--repository-name', REPO])).out.policyText, LOCKOUT_POLICY);
    });

    test('unknown repositories and other registries answer RepositoryNotFoundException', async (t) => {
      const missing = (repo: string, id = ACCOUNT) => `The repository with name '${repo}' does not exist in the registry with id '${id}'`;
      isError(await sdkCall(sdk, new SetRepositoryPolicyCommand({ repositoryName: 'policies/absent', policyText: REPO_POLICY })), 'RepositoryNotFoundException', missing('policies/absent'));
      isError(await sdkCall(sdk, new GetRepositoryPolicyCommand({ repositoryName: REPO, registryId: '111122223333' })), 'RepositoryNotFoundException', missing(REPO, '111122223333'));
      if (requireTools(t, 'aws')) {
        isError(await cli(w, ['get-repository-policy', '--repository-name', 'policies/absent']), 'RepositoryNotFoundException', missing('policies/absent'));
        isError(await cli(w, ['delete-repository-policy', '--repository-name', 'policies/absent']), 'RepositoryNotFoundException', missing('policies/absent'));
      }
    });

    test('deleting the repository deletes its policy', async (t) => {
      if (!requireTools(t, 'aws')) return;
      assert.ok((await cli(w, ['create-repository', '--repository-name', 'policies/shortlived'])).out);
      assert.ok((await cli(w, ['set-repository-policy', '--repository-name', 'policies/shortlived', '--policy-text', REPO_POLICY])).out);
      assert.ok((await cli(w, ['delete-repository', '--repository-name', 'policies/shortlived'])).out);
      assert.ok((await cli(w, ['create-repository', '--repository-name', 'policies/shortlived'])).out);
      isError(await cli(w, ['get-repository-policy', '--repository-name', 'policies/shortlived']), 'RepositoryPolicyNotFoundException',
        `Repository policy does not exist for the repository with name 'policies/shortlived' in the registry with id '${ACCOUNT}'`);
    });
  });

  describe('registry policies and account settings', () => {
    // These share the registry, so they run in order within this block.
    const notFound = `Registry policy does not exist in the registry with id '${ACCOUNT}'`;

    test('boto3: put, get, delete (returning the old text), then RegistryPolicyNotFoundException', async (t) => {
      if (!requireTools(t, 'python3')) return;
      isError(await boto(w, 'get_registry_policy'), 'RegistryPolicyNotFoundException', notFound);
      isError(await boto(w, 'delete_registry_policy'), 'RegistryPolicyNotFoundException', notFound);
      assert.deepEqual((await boto(w, 'put_registry_policy', { policyText: REGISTRY_POLICY })).out, { registryId: ACCOUNT, policyText: REGISTRY_POLICY });
      assert.deepEqual((await boto(w, 'get_registry_policy')).out, { registryId: ACCOUNT, policyText: REGISTRY_POLICY });
      assert.deepEqual((await boto(w, 'delete_registry_policy')).out, { registryId: ACCOUNT, policyText: REGISTRY_POLICY });
      isError(await boto(w, 'get_registry_policy'), 'RegistryPolicyNotFoundException', notFound);
    });

    test('aws CLI and SDK v3: put and get; the SDK maps the not-found error to its class', async (t) => {
      await assert.rejects(sdk.send(new GetRegistryPolicyCommand({})), (e: unknown) => e instanceof RegistryPolicyNotFoundException);
      if (requireTools(t, 'aws')) {
        assert.deepEqual((await cli(w, ['put-registry-policy', '--policy-text', REGISTRY_POLICY])).out, { registryId: ACCOUNT, policyText: REGISTRY_POLICY });
        assert.deepEqual((await cli(w, ['get-registry-policy'])).out, { registryId: ACCOUNT, policyText: REGISTRY_POLICY });
      } else {
        await sdk.send(new PutRegistryPolicyCommand({ policyText: REGISTRY_POLICY }));
      }
      assert.equal((await sdkCall(sdk, new GetRegistryPolicyCommand({}))).out.policyText, REGISTRY_POLICY);
      assert.equal((await sdkCall(sdk, new DeleteRegistryPolicyCommand({}))).out.policyText, REGISTRY_POLICY);
      isError(await sdkCall(sdk, new DeleteRegistryPolicyCommand({})), 'RegistryPolicyNotFoundException', notFound);
    });

    test('invalid registry policies answer InvalidParameterException "Invalid registry policy provided"', async (t) => {
      const noResource = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '210987654321' }, Action: 'ecr:ReplicateImage' }] });
      const s3 = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' }] });
      for (const text of [noResource, s3, '[]', '']) {
        isError(await sdkCall(sdk, new PutRegistryPolicyCommand({ policyText: text })), 'InvalidParameterException', INVALID_REGISTRY_POLICY);
      }
      if (requireTools(t, 'aws')) isError(await cli(w, ['put-registry-policy', '--policy-text', noResource]), 'InvalidParameterException', INVALID_REGISTRY_POLICY);
      isError(await sdkCall(sdk, new GetRegistryPolicyCommand({})), 'RegistryPolicyNotFoundException', notFound);
    });

    test('account settings: documented defaults, put and get, and ValidationException for unknown names and values', async (t) => {
      for (const [name, value] of [['BASIC_SCAN_TYPE_VERSION', 'AWS_NATIVE'], ['REGISTRY_POLICY_SCOPE', 'V2'], ['BLOB_MOUNTING', 'ENABLED']]) {
        assert.deepEqual((await sdkCall(sdk, new GetAccountSettingCommand({ name }))).out, { name, value });
      }
      assert.deepEqual((await sdkCall(sdk, new PutAccountSettingCommand({ name: 'BLOB_MOUNTING', value: 'DISABLED' }))).out, { name: 'BLOB_MOUNTING', value: 'DISABLED' });
      assert.deepEqual((await sdkCall(sdk, new GetAccountSettingCommand({ name: 'BLOB_MOUNTING' }))).out, { name: 'BLOB_MOUNTING', value: 'DISABLED' });
      isError(await sdkCall(sdk, new GetAccountSettingCommand({ name: 'NO_SUCH_SETTING' })), 'ValidationException',
        "1 validation error detected: Value 'NO_SUCH_SETTING' at 'name' failed to satisfy constraint: Member must satisfy enum value set: [BASIC_SCAN_TYPE_VERSION, REGISTRY_POLICY_SCOPE, BLOB_MOUNTING]");
      isError(await sdkCall(sdk, new PutAccountSettingCommand({ name: 'REGISTRY_POLICY_SCOPE', value: 'V3' })), 'ValidationException',
        "1 validation error detected: Value 'V3' at 'value' failed to satisfy constraint: Member must satisfy enum value set: [V1, V2]");
      if (requireTools(t, 'aws')) {
        assert.deepEqual((await cli(w, ['put-account-setting', '--name', 'BLOB_MOUNTING', '--value', 'ENABLED'])).out, { name: 'BLOB_MOUNTING', value: 'ENABLED' });
        assert.deepEqual((await cli(w, ['get-account-setting', '--name', 'BLOB_MOUNTING'])).out, { name: 'BLOB_MOUNTING', value: 'ENABLED' });
        isError(await cli(w, ['put-account-setting', '--name', 'BLOB_MOUNTING', '--value', 'enabled']), 'ValidationException',
          "1 validation error detected: Value 'enabled' at 'value' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]");
      }
      if (requireTools(t, 'python3')) {
        assert.deepEqual((await boto(w, 'put_account_setting', { name: 'BASIC_SCAN_TYPE_VERSION', value: 'CLAIR' })).out, { name: 'BASIC_SCAN_TYPE_VERSION', value: 'CLAIR' });
        assert.deepEqual((await boto(w, 'get_account_setting', { name: 'BASIC_SCAN_TYPE_VERSION' })).out, { name: 'BASIC_SCAN_TYPE_VERSION', value: 'CLAIR' });
        isError(await boto(w, 'get_account_setting', { name: 'basic_scan_type_version' }), 'ValidationException',
          "1 validation error detected: Value 'basic_scan_type_version' at 'name' failed to satisfy constraint: Member must satisfy enum value set: [BASIC_SCAN_TYPE_VERSION, REGISTRY_POLICY_SCOPE, BLOB_MOUNTING]");
        await boto(w, 'put_account_setting', { name: 'BASIC_SCAN_TYPE_VERSION', value: 'AWS_NATIVE' });
      }
    });

    test('REGISTRY_POLICY_SCOPE V1 accepts only replication and pull-through-cache actions; V2 any ecr: action', async () => {
      assert.equal((await sdkCall(sdk, new PutRegistryPolicyCommand({ policyText: PULL_REGISTRY_POLICY }))).out.policyText, PULL_REGISTRY_POLICY);
      await sdk.send(new PutAccountSettingCommand({ name: 'REGISTRY_POLICY_SCOPE', value: 'V1' }));
      try {
        isError(await sdkCall(sdk, new PutRegistryPolicyCommand({ policyText: PULL_REGISTRY_POLICY })), 'InvalidParameterException', INVALID_REGISTRY_POLICY);
        assert.equal((await sdkCall(sdk, new PutRegistryPolicyCommand({ policyText: REGISTRY_POLICY }))).out.policyText, REGISTRY_POLICY);
      } finally {
        await sdk.send(new PutAccountSettingCommand({ name: 'REGISTRY_POLICY_SCOPE', value: 'V2' }));
        await sdk.send(new DeleteRegistryPolicyCommand({}));
      }
    });

    test('DescribeRegistry: the registry id and an empty replication configuration (each client)', async (t) => {
      const expected = { registryId: ACCOUNT, replicationConfiguration: { rules: [] } };
      assert.deepEqual((await sdkCall(sdk, new DescribeRegistryCommand({}))).out, expected);
      if (requireTools(t, 'aws')) assert.deepEqual((await cli(w, ['describe-registry'])).out, expected);
      if (requireTools(t, 'python3')) assert.deepEqual((await boto(w, 'describe_registry')).out, expected);
    });
  });
});
