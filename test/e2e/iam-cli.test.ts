// IAM through the unmodified aws CLI against a listening Wharf: users with tags, access keys (status,
// the quota of two), inline policies (shown decoded), managed policies with versions, the built-in
// AWS-managed ReadOnly policy attached, roles with trust and inline policies, an OIDC provider, IAM's
// error codes as the CLI reports them, and everything deleted and gone at the end.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { startWharf, type RunningWharf } from '../helpers/server.ts';
import { requireTools } from '../helpers/tools.ts';
import { ACCOUNT, awsError, awsJson, fileArg, iamEnv, RO_ARN, TRICKY_POLICY, TRUST_POLICY } from './iam-support.ts';

const POLICY_ARN = `arn:aws:iam::${ACCOUNT}:policy/team/pull`;
const OIDC_URL = 'https://token.actions.githubusercontent.com';
const OIDC_ARN = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;

describe('IAM through the aws CLI', () => {
  let w: RunningWharf;
  let dir: string;
  let ok = true;
  before(async () => {
    w = await startWharf();
    dir = mkdtempSync(join(tmpdir(), 'wharf-iam-cli-'));
  });
  after(async () => {
    await w?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A file holding `text`, for `file://` arguments. */
  const file = (name: string, text: string) => fileArg(dir, name, text);

  /** `aws iam <args>` with JSON output, parsed; fails the test on an error. */
  const iam = (...args: string[]) => awsJson(iamEnv(w), 'iam', ...args);
  /** The error code and message the CLI reports for `aws iam <args>` (which must fail). */
  const iamError = (...args: string[]) => awsError(iamEnv(w), 'iam', ...args);

  /** Skips without the aws CLI, and skips the rest once a step failed (they build on each other). */
  function ready(t: TestContext): boolean {
    if (!requireTools(t, 'aws')) return false;
    if (!ok) { t.skip('an earlier step failed'); return false; }
    return true;
  }
  function step(name: string, fn: () => Promise<void>): void {
    test(name, async (t) => {
      if (!ready(t)) return;
      try { await fn(); } catch (e) { ok = false; throw e; }
    });
  }

  step('create-user with tags, get-user (by name and the caller), list-users', async () => {
    const made = await iam('create-user', '--user-name', 'alice', '--path', '/team/', '--tags', 'Key=team,Value=a', 'Key=env,Value=prod');
    assert.equal(made.User.UserName, 'alice');
    assert.equal(made.User.Arn, `arn:aws:iam::${ACCOUNT}:user/team/alice`);
    assert.match(made.User.UserId, /^AIDA[A-Z2-7]{17}$/);
    assert.deepEqual(made.User.Tags, [{ Key: 'team', Value: 'a' }, { Key: 'env', Value: 'prod' }]);
    assert.deepEqual((await iam('get-user', '--user-name', 'alice')).User, made.User);
    const [root, list, exists, missing] = await Promise.all([
      iam('get-user'), iam('list-users'), iamError('create-user', '--user-name', 'ALICE'), iamError('get-user', '--user-name', 'nobody'),
    ]);
    assert.deepEqual([root.User.UserId, root.User.Arn, root.User.UserName], [ACCOUNT, `arn:aws:iam::${ACCOUNT}:root`, undefined]);
    assert.deepEqual(list.Users.map((u: { Arn: string }) => u.Arn), [made.User.Arn]);
    assert.deepEqual(exists, { code: 'EntityAlreadyExists', message: 'User with name ALICE already exists.' });
    assert.deepEqual(missing, { code: 'NoSuchEntity', message: 'The user with name nobody cannot be found.' });
  });

  step('create-access-key twice, the third is LimitExceeded; list-access-keys; update-access-key to Inactive', async () => {
    const first = (await iam('create-access-key', '--user-name', 'alice')).AccessKey;
    assert.match(first.AccessKeyId, /^AKIA[A-Z2-7]{16}$/);
    assert.equal(first.SecretAccessKey.length, 40);
    assert.deepEqual([first.UserName, first.Status], ['alice', 'Active']);
    const second = (await iam('create-access-key', '--user-name', 'alice')).AccessKey;
    assert.deepEqual(await iamError('create-access-key', '--user-name', 'alice'), { code: 'LimitExceeded', message: 'Cannot exceed quota for AccessKeysPerUser: 2' });
    await iam('update-access-key', '--user-name', 'alice', '--access-key-id', first.AccessKeyId, '--status', 'Inactive');
    const listed = (await iam('list-access-keys', '--user-name', 'alice')).AccessKeyMetadata;
    assert.deepEqual(listed.map((k: { AccessKeyId: string; Status: string }) => [k.AccessKeyId, k.Status]), [[first.AccessKeyId, 'Inactive'], [second.AccessKeyId, 'Active']]);
    assert.ok(listed.every((k: Record<string, unknown>) => !('SecretAccessKey' in k)));
  });

  step('put-user-policy / get-user-policy: the CLI shows the decoded document, + and % intact; a bad one is MalformedPolicyDocument', async () => {
    await iam('put-user-policy', '--user-name', 'alice', '--policy-name', 'inline', '--policy-document', file('tricky.json', TRICKY_POLICY));
    const got = await iam('get-user-policy', '--user-name', 'alice', '--policy-name', 'inline');
    assert.deepEqual(got, { UserName: 'alice', PolicyName: 'inline', PolicyDocument: JSON.parse(TRICKY_POLICY) });
    const bad = await iamError('put-user-policy', '--user-name', 'alice', '--policy-name', 'bad', '--policy-document', '{"Version":"2012-10-17"}');
    assert.deepEqual(bad, { code: 'MalformedPolicyDocument', message: 'Syntax errors in policy.' });
  });

  step('create-policy, get-policy, get-policy-version, create-policy-version --set-as-default, list-policy-versions, delete-policy-version', async () => {
    const made = (await iam('create-policy', '--policy-name', 'pull', '--path', '/team/', '--description', 'pulls', '--policy-document', file('p1.json', TRICKY_POLICY))).Policy;
    assert.deepEqual([made.Arn, made.DefaultVersionId, made.IsAttachable, made.AttachmentCount, made.Description], [POLICY_ARN, 'v1', true, 0, 'pulls']);
    assert.match(made.PolicyId, /^ANPA[A-Z2-7]{17}$/);
    assert.deepEqual((await iam('get-policy', '--policy-arn', POLICY_ARN)).Policy, made);
    const v1 = (await iam('get-policy-version', '--policy-arn', POLICY_ARN, '--version-id', 'v1')).PolicyVersion;
    assert.deepEqual([v1.VersionId, v1.IsDefaultVersion, v1.Document], ['v1', true, JSON.parse(TRICKY_POLICY)]);
    const second = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], Resource: '*' }] });
    const v2 = (await iam('create-policy-version', '--policy-arn', POLICY_ARN, '--policy-document', file('p2.json', second), '--set-as-default')).PolicyVersion;
    assert.deepEqual([v2.VersionId, v2.IsDefaultVersion], ['v2', true]);
    const versions = (await iam('list-policy-versions', '--policy-arn', POLICY_ARN)).Versions;
    assert.deepEqual(versions.map((v: { VersionId: string; IsDefaultVersion: boolean }) => [v.VersionId, v.IsDefaultVersion]), [['v2', true], ['v1', false]]);
    assert.equal((await iamError('delete-policy-version', '--policy-arn', POLICY_ARN, '--version-id', 'v2')).code, 'DeleteConflict');
    // Its success shows again when delete-policy (which needs the other versions gone) succeeds.
    await iam('delete-policy-version', '--policy-arn', POLICY_ARN, '--version-id', 'v1');
    assert.deepEqual(await iamError('get-policy', '--policy-arn', `arn:aws:iam::${ACCOUNT}:policy/none`),
      { code: 'NoSuchEntity', message: `Policy arn:aws:iam::${ACCOUNT}:policy/none was not found.` });
  });

  step('attach-user-policy with AmazonEC2ContainerRegistryReadOnly and the account\'s policy; list-attached-user-policies; list-policies --only-attached', async () => {
    await iam('attach-user-policy', '--user-name', 'alice', '--policy-arn', RO_ARN);
    await iam('attach-user-policy', '--user-name', 'alice', '--policy-arn', POLICY_ARN);
    assert.deepEqual((await iam('list-attached-user-policies', '--user-name', 'alice')).AttachedPolicies, [
      { PolicyName: 'AmazonEC2ContainerRegistryReadOnly', PolicyArn: RO_ARN }, { PolicyName: 'pull', PolicyArn: POLICY_ARN },
    ]);
    const attached = (await iam('list-policies', '--only-attached')).Policies;
    assert.deepEqual(attached.map((p: { Arn: string; AttachmentCount: number }) => [p.Arn, p.AttachmentCount]), [[RO_ARN, 1], [POLICY_ARN, 1]]);
  });

  step('DeleteConflict: a user with access keys', async () => {
    assert.deepEqual(await iamError('delete-user', '--user-name', 'alice'), { code: 'DeleteConflict', message: 'Cannot delete entity, must delete access keys first.' });
  });

  step('create-role with a trust policy and tags, put-role-policy, attach-role-policy', async () => {
    const role = (await iam('create-role', '--role-name', 'ci', '--assume-role-policy-document', file('trust.json', TRUST_POLICY), '--description', 'CI', '--tags', 'Key=k,Value=v')).Role;
    assert.deepEqual([role.Arn, role.MaxSessionDuration, role.Description, role.AssumeRolePolicyDocument], [`arn:aws:iam::${ACCOUNT}:role/ci`, 3600, 'CI', JSON.parse(TRUST_POLICY)]);
    assert.match(role.RoleId, /^AROA[A-Z2-7]{17}$/);
    await iam('put-role-policy', '--role-name', 'ci', '--policy-name', 'inline', '--policy-document', file('role-inline.json', TRICKY_POLICY));
    await iam('attach-role-policy', '--role-name', 'ci', '--policy-arn', RO_ARN);
    assert.deepEqual(role.Tags, [{ Key: 'k', Value: 'v' }]);
  });

  step('create-open-id-connect-provider and get it back', async () => {
    const made = await iam('create-open-id-connect-provider', '--url', OIDC_URL, '--client-id-list', 'sts.amazonaws.com', '--thumbprint-list', '6938fd4d98bab03faadb97b34396831e3780aea1');
    assert.equal(made.OpenIDConnectProviderArn, OIDC_ARN);
    const got = await iam('get-open-id-connect-provider', '--open-id-connect-provider-arn', OIDC_ARN);
    assert.deepEqual([got.Url, got.ClientIDList, got.ThumbprintList], ['token.actions.githubusercontent.com', ['sts.amazonaws.com'], ['6938fd4d98bab03faadb97b34396831e3780aea1']]);
  });

  step('delete everything, and see it gone', async () => {
    // Two at a time where the order does not matter (each aws CLI run is mostly Python starting).
    const keys = (await iam('list-access-keys', '--user-name', 'alice')).AccessKeyMetadata as { AccessKeyId: string }[];
    await Promise.all(keys.map((k) => iam('delete-access-key', '--user-name', 'alice', '--access-key-id', k.AccessKeyId)));
    await Promise.all([iam('delete-user-policy', '--user-name', 'alice', '--policy-name', 'inline'), iam('detach-user-policy', '--user-name', 'alice', '--policy-arn', RO_ARN)]);
    await Promise.all([iam('detach-user-policy', '--user-name', 'alice', '--policy-arn', POLICY_ARN), iam('delete-role-policy', '--role-name', 'ci', '--policy-name', 'inline')]);
    await Promise.all([iam('delete-user', '--user-name', 'alice'), iam('detach-role-policy', '--role-name', 'ci', '--policy-arn', RO_ARN)]);
    await Promise.all([iam('delete-role', '--role-name', 'ci'), iam('delete-policy', '--policy-arn', POLICY_ARN)]);
    await iam('delete-open-id-connect-provider', '--open-id-connect-provider-arn', OIDC_ARN);
    const [users, roles, policies, providers] = await Promise.all([
      iam('list-users'), iam('list-roles'), iam('list-policies', '--scope', 'Local'), iam('list-open-id-connect-providers'),
    ]);
    assert.deepEqual([users.Users, roles.Roles, policies.Policies, providers.OpenIDConnectProviderList], [[], [], [], []]);
  });
});
