// IAM through boto3 and @aws-sdk/client-iam against a listening Wharf. boto3 URL-decodes and parses
// policy documents: they come back as dicts, a policy with '+' and '%' unchanged. SDK v3 hands the
// URL-encoded text over as it is: decoded, it is byte for byte what was sent. SDK v3 also walks the
// operations the CLI test leaves out: renames, tags, paging, boundaries, key status and last use,
// role updates, OIDC client ids and thumbprints, and the empty answers Terraform reads.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AddClientIDToOpenIDConnectProviderCommand, AttachRolePolicyCommand, CreateAccessKeyCommand, CreateOpenIDConnectProviderCommand, CreatePolicyCommand,
  CreatePolicyVersionCommand, CreateRoleCommand, CreateUserCommand, DeleteAccessKeyCommand, DeleteLoginProfileCommand, DeleteOpenIDConnectProviderCommand,
  DeletePolicyCommand, DeletePolicyVersionCommand, DeleteRoleCommand, DeleteRolePermissionsBoundaryCommand, DeleteUserCommand, DeleteUserPermissionsBoundaryCommand,
  DetachRolePolicyCommand, GetAccessKeyLastUsedCommand, GetLoginProfileCommand, GetOpenIDConnectProviderCommand, GetPolicyCommand, GetPolicyVersionCommand,
  GetRoleCommand, GetRolePolicyCommand, GetUserCommand, IAMClient, ListAccessKeysCommand, ListAttachedRolePoliciesCommand, ListGroupsForUserCommand,
  ListInstanceProfilesForRoleCommand, ListMFADevicesCommand, ListOpenIDConnectProviderTagsCommand, ListPoliciesCommand, ListPolicyTagsCommand,
  ListRolePoliciesCommand, ListRoleTagsCommand, ListServiceSpecificCredentialsCommand, ListSigningCertificatesCommand, ListSSHPublicKeysCommand,
  ListUserTagsCommand, ListVirtualMFADevicesCommand, paginateListUsers, PutRolePermissionsBoundaryCommand, PutRolePolicyCommand,
  PutUserPermissionsBoundaryCommand, RemoveClientIDFromOpenIDConnectProviderCommand, SetDefaultPolicyVersionCommand, TagOpenIDConnectProviderCommand,
  TagPolicyCommand, TagRoleCommand, TagUserCommand, UntagRoleCommand, UntagUserCommand, UpdateAccessKeyCommand, UpdateAssumeRolePolicyCommand,
  UpdateOpenIDConnectProviderThumbprintCommand, UpdateRoleCommand, UpdateUserCommand, DeleteRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { startWharf, TEST_CREDENTIALS, type RunningWharf } from '../helpers/server.ts';
import { requireTools } from '../helpers/tools.ts';
import { ACCOUNT, CLIENT_REGION, iamEnv, RO_ARN, run, TRICKY_POLICY, TRUST_POLICY } from './iam-support.ts';

const BOTO3 = `
import json, sys, boto3
from botocore.exceptions import ClientError
tricky, trust = sys.argv[1], sys.argv[2]
iam = boto3.client('iam')
out = {}
iam.create_user(UserName='bo', Tags=[{'Key': 'k', 'Value': 'v'}])
iam.put_user_policy(UserName='bo', PolicyName='p', PolicyDocument=tricky)
doc = iam.get_user_policy(UserName='bo', PolicyName='p')['PolicyDocument']
out['inline_is_dict'] = isinstance(doc, dict)
out['inline_equal'] = doc == json.loads(tricky)
role = iam.create_role(RoleName='bo-role', AssumeRolePolicyDocument=trust)['Role']
out['trust_equal'] = role['AssumeRolePolicyDocument'] == json.loads(trust)
arn = iam.create_policy(PolicyName='bo-pol', PolicyDocument=tricky)['Policy']['Arn']
version = iam.get_policy_version(PolicyArn=arn, VersionId='v1')['PolicyVersion']
out['version_equal'] = isinstance(version['Document'], dict) and version['Document'] == json.loads(tricky)
out['listed'] = [p['PolicyName'] for page in iam.get_paginator('list_policies').paginate(PaginationConfig={'PageSize': 2}) for p in page['Policies']]
try:
    iam.get_role(RoleName='nobody')
except ClientError as e:
    out['error'] = [e.response['Error']['Code'], e.response['Error']['Message'], e.response['ResponseMetadata']['HTTPStatusCode']]
iam.delete_policy(PolicyArn=arn)
iam.delete_role(RoleName='bo-role')
iam.delete_user_policy(UserName='bo', PolicyName='p')
iam.delete_user(UserName='bo')
out['users_left'] = iam.list_users()['Users']
print(json.dumps(out))
`;

describe('IAM through boto3 and SDK v3', () => {
  let w: RunningWharf;
  let iam: IAMClient;
  before(async () => {
    w = await startWharf();
    iam = new IAMClient({ endpoint: w.url, region: CLIENT_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  });
  after(async () => {
    iam?.destroy();
    await w?.stop();
  });

  /**
   * The error name and message SDK v3 reports for `p`, which must fail. A modelled Query Code becomes
   * the model's exception class (`NoSuchEntity` → NoSuchEntityException); others keep the Code.
   */
  async function sdkError(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
    try {
      await p;
    } catch (e) {
      const err = e as Error & { $metadata?: { httpStatusCode?: number } };
      if (!err.$metadata) throw e;
      return { name: err.name, message: err.message, status: err.$metadata.httpStatusCode };
    }
    assert.fail('expected an IAM error');
  }

  test('boto3: documents come back as dicts equal to what was sent (+ and % intact); paging; NoSuchEntity; all gone', async (t) => {
    if (!requireTools(t, 'python3')) return;
    const r = await run('python3', ['-c', BOTO3, TRICKY_POLICY, TRUST_POLICY], iamEnv(w));
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out, {
      inline_is_dict: true, inline_equal: true, trust_equal: true, version_equal: true,
      listed: ['AmazonEC2ContainerRegistryFullAccess', 'AmazonEC2ContainerRegistryPowerUser', 'AmazonEC2ContainerRegistryPullOnly', 'AmazonEC2ContainerRegistryReadOnly', 'bo-pol'],
      error: ['NoSuchEntity', 'The role with name nobody cannot be found.', 404], users_left: [],
    });
  });

  test('SDK v3: users — rename, tags, paging, boundary, keys (signing as their user, status, never used), the empty lists, no login profile', async () => {
    for (const n of ['u1', 'u2', 'u3']) await iam.send(new CreateUserCommand({ UserName: n, Tags: [{ Key: 'n', Value: n }] }));
    await iam.send(new UpdateUserCommand({ UserName: 'u3', NewUserName: 'u0', NewPath: '/moved/' }));
    const names: string[] = [];
    for await (const page of paginateListUsers({ client: iam, pageSize: 1 }, {})) {
      assert.ok((page.Users ?? []).length <= 1);
      names.push(...(page.Users ?? []).map((u) => u.UserName!));
    }
    assert.deepEqual(names, ['u0', 'u1', 'u2']);
    assert.equal((await iam.send(new GetUserCommand({ UserName: 'u0' }))).User?.Arn, `arn:aws:iam::${ACCOUNT}:user/moved/u0`);

    await iam.send(new TagUserCommand({ UserName: 'u1', Tags: [{ Key: 'team', Value: 'a' }, { Key: 'n', Value: 'again' }] }));
    await iam.send(new UntagUserCommand({ UserName: 'u1', TagKeys: ['team'] }));
    const tags = await iam.send(new ListUserTagsCommand({ UserName: 'u1' }));
    assert.deepEqual([tags.Tags, tags.IsTruncated], [[{ Key: 'n', Value: 'again' }], false]);

    await iam.send(new PutUserPermissionsBoundaryCommand({ UserName: 'u1', PermissionsBoundary: RO_ARN }));
    assert.deepEqual((await iam.send(new GetUserCommand({ UserName: 'u1' }))).User?.PermissionsBoundary, { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: RO_ARN });
    await iam.send(new DeleteUserPermissionsBoundaryCommand({ UserName: 'u1' }));
    assert.equal((await iam.send(new GetUserCommand({ UserName: 'u1' }))).User?.PermissionsBoundary, undefined);

    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'u1' }))).AccessKey!;
    const last = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.AccessKeyId }));
    assert.deepEqual([last.UserName, last.AccessKeyLastUsed?.ServiceName, last.AccessKeyLastUsed?.Region, last.AccessKeyLastUsed?.LastUsedDate], ['u1', 'N/A', 'N/A', undefined]);
    // The new key signs as its user, who is denied (the authorizer lets only the root act so far) on
    // the resource the operation names: the user's ARN.
    const asU1 = new IAMClient({ endpoint: w.url, region: CLIENT_REGION, credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }, maxAttempts: 1 });
    try {
      const denied = await sdkError(asU1.send(new ListAccessKeysCommand({})));
      assert.equal(denied.name, 'AccessDenied');
      assert.match(denied.message, new RegExp(`^User: arn:aws:iam::${ACCOUNT}:user/u1 is not authorized to perform: iam:ListAccessKeys on resource: arn:aws:iam::${ACCOUNT}:user/u1 `));
    } finally {
      asU1.destroy();
    }
    await iam.send(new UpdateAccessKeyCommand({ UserName: 'u1', AccessKeyId: key.AccessKeyId, Status: 'Inactive' }));
    assert.equal((await iam.send(new ListAccessKeysCommand({ UserName: 'u1' }))).AccessKeyMetadata?.[0].Status, 'Inactive');

    const empty = await Promise.all([
      iam.send(new ListGroupsForUserCommand({ UserName: 'u1' })).then((r) => [r.Groups, r.IsTruncated]),
      iam.send(new ListSSHPublicKeysCommand({ UserName: 'u1' })).then((r) => [r.SSHPublicKeys, r.IsTruncated]),
      iam.send(new ListMFADevicesCommand({ UserName: 'u1' })).then((r) => [r.MFADevices, r.IsTruncated]),
      iam.send(new ListVirtualMFADevicesCommand({})).then((r) => [r.VirtualMFADevices, r.IsTruncated]),
      iam.send(new ListSigningCertificatesCommand({ UserName: 'u1' })).then((r) => [r.Certificates, r.IsTruncated]),
      iam.send(new ListServiceSpecificCredentialsCommand({ UserName: 'u1' })).then((r) => [r.ServiceSpecificCredentials, r.IsTruncated]),
    ]);
    assert.deepEqual(empty, Array(6).fill([[], false]));
    assert.deepEqual(await sdkError(iam.send(new GetLoginProfileCommand({ UserName: 'u1' }))), { name: 'NoSuchEntityException', message: 'Login Profile for User u1 cannot be found.', status: 404 });
    assert.equal((await sdkError(iam.send(new DeleteLoginProfileCommand({ UserName: 'u1' })))).name, 'NoSuchEntityException');
    assert.equal((await sdkError(iam.send(new ListGroupsForUserCommand({ UserName: 'nobody' })))).name, 'NoSuchEntityException');

    await iam.send(new DeleteAccessKeyCommand({ UserName: 'u1', AccessKeyId: key.AccessKeyId }));
    for (const n of ['u0', 'u1', 'u2']) await iam.send(new DeleteUserCommand({ UserName: n }));
  });

  test('SDK v3: policies and roles — documents decode to exactly what was sent; versions, tags, attachments, trust and role updates', async () => {
    const policy = (await iam.send(new CreatePolicyCommand({ PolicyName: 'sdk', PolicyDocument: TRICKY_POLICY, Tags: [{ Key: 'a', Value: '1' }] }))).Policy!;
    assert.deepEqual(policy.Tags, [{ Key: 'a', Value: '1' }]);
    const v1 = (await iam.send(new GetPolicyVersionCommand({ PolicyArn: policy.Arn, VersionId: 'v1' }))).PolicyVersion!;
    assert.equal(decodeURIComponent(v1.Document!), TRICKY_POLICY);
    await iam.send(new CreatePolicyVersionCommand({ PolicyArn: policy.Arn, PolicyDocument: TRICKY_POLICY.replace('DescribeImages', 'ListImages') }));
    await iam.send(new SetDefaultPolicyVersionCommand({ PolicyArn: policy.Arn, VersionId: 'v2' }));
    assert.equal((await iam.send(new GetPolicyCommand({ PolicyArn: policy.Arn }))).Policy?.DefaultVersionId, 'v2');
    await iam.send(new TagPolicyCommand({ PolicyArn: policy.Arn, Tags: [{ Key: 'b', Value: '2' }] }));
    assert.deepEqual((await iam.send(new ListPolicyTagsCommand({ PolicyArn: policy.Arn }))).Tags, [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }]);
    const aws = await iam.send(new ListPoliciesCommand({ Scope: 'AWS', MaxItems: 3 }));
    assert.deepEqual([aws.Policies?.length, aws.IsTruncated, typeof aws.Marker], [3, true, 'string']);
    const rest = await iam.send(new ListPoliciesCommand({ Scope: 'AWS', Marker: aws.Marker }));
    assert.deepEqual([rest.Policies?.map((p) => p.PolicyName), rest.IsTruncated, rest.Marker], [['AmazonEC2ContainerRegistryReadOnly'], false, undefined]);

    const role = (await iam.send(new CreateRoleCommand({ RoleName: 'sdk-role', Path: '/svc/', AssumeRolePolicyDocument: TRUST_POLICY, MaxSessionDuration: 7200 }))).Role!;
    assert.deepEqual([role.Arn, role.MaxSessionDuration, decodeURIComponent(role.AssumeRolePolicyDocument!)], [`arn:aws:iam::${ACCOUNT}:role/svc/sdk-role`, 7200, TRUST_POLICY]);
    await iam.send(new UpdateRoleCommand({ RoleName: 'sdk-role', Description: 'updated', MaxSessionDuration: 3600 }));
    const newTrust = TRUST_POLICY.replace('ec2.amazonaws.com', 'ecs-tasks.amazonaws.com');
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'sdk-role', PolicyDocument: newTrust }));
    await iam.send(new TagRoleCommand({ RoleName: 'sdk-role', Tags: [{ Key: 'x', Value: '1' }, { Key: 'y', Value: '2' }] }));
    await iam.send(new UntagRoleCommand({ RoleName: 'sdk-role', TagKeys: ['x'] }));
    await iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: 'sdk-role', PermissionsBoundary: policy.Arn }));
    const got = (await iam.send(new GetRoleCommand({ RoleName: 'sdk-role' }))).Role!;
    assert.deepEqual([got.Description, got.MaxSessionDuration, decodeURIComponent(got.AssumeRolePolicyDocument!), got.Tags, got.PermissionsBoundary?.PermissionsBoundaryArn],
      ['updated', 3600, newTrust, [{ Key: 'y', Value: '2' }], policy.Arn]);
    assert.deepEqual((await iam.send(new ListRoleTagsCommand({ RoleName: 'sdk-role' }))).Tags, [{ Key: 'y', Value: '2' }]);
    await iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: 'sdk-role' }));

    await iam.send(new PutRolePolicyCommand({ RoleName: 'sdk-role', PolicyName: 'inline', PolicyDocument: TRICKY_POLICY }));
    const inline = await iam.send(new GetRolePolicyCommand({ RoleName: 'sdk-role', PolicyName: 'inline' }));
    assert.deepEqual([inline.RoleName, inline.PolicyName, decodeURIComponent(inline.PolicyDocument!)], ['sdk-role', 'inline', TRICKY_POLICY]);
    assert.deepEqual((await iam.send(new ListRolePoliciesCommand({ RoleName: 'sdk-role' }))).PolicyNames, ['inline']);
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'sdk-role', PolicyArn: policy.Arn }));
    assert.deepEqual((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'sdk-role' }))).AttachedPolicies, [{ PolicyName: 'sdk', PolicyArn: policy.Arn }]);
    assert.deepEqual((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'sdk-role', PathPrefix: '/other/' }))).AttachedPolicies, []);
    const profiles = await iam.send(new ListInstanceProfilesForRoleCommand({ RoleName: 'sdk-role' }));
    assert.deepEqual([profiles.InstanceProfiles, profiles.IsTruncated], [[], false]);
    assert.deepEqual(await sdkError(iam.send(new DeleteRoleCommand({ RoleName: 'sdk-role' }))),
      { name: 'DeleteConflictException', message: 'Cannot delete entity, must delete policies first.', status: 409 });

    await iam.send(new DetachRolePolicyCommand({ RoleName: 'sdk-role', PolicyArn: policy.Arn }));
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'sdk-role', PolicyName: 'inline' }));
    await iam.send(new DeleteRoleCommand({ RoleName: 'sdk-role' }));
    await iam.send(new DeletePolicyVersionCommand({ PolicyArn: policy.Arn, VersionId: 'v1' }));
    await iam.send(new DeletePolicyCommand({ PolicyArn: policy.Arn }));
    assert.equal((await sdkError(iam.send(new GetPolicyCommand({ PolicyArn: policy.Arn })))).name, 'NoSuchEntityException');
  });

  test('SDK v3: an OIDC provider — client ids, thumbprints, tags; the URL is answered without https://', async () => {
    const arn = (await iam.send(new CreateOpenIDConnectProviderCommand({ Url: 'https://issuer.example.com/tenant', ClientIDList: ['a'], Tags: [{ Key: 't', Value: '1' }] }))).OpenIDConnectProviderArn!;
    assert.equal(arn, `arn:aws:iam::${ACCOUNT}:oidc-provider/issuer.example.com/tenant`);
    await iam.send(new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: 'b' }));
    await iam.send(new RemoveClientIDFromOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: 'a' }));
    await iam.send(new UpdateOpenIDConnectProviderThumbprintCommand({ OpenIDConnectProviderArn: arn, ThumbprintList: ['0'.repeat(40)] }));
    await iam.send(new TagOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, Tags: [{ Key: 'u', Value: '2' }] }));
    const got = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    assert.deepEqual([got.Url, got.ClientIDList, got.ThumbprintList, got.Tags], ['issuer.example.com/tenant', ['b'], ['0'.repeat(40)], [{ Key: 't', Value: '1' }, { Key: 'u', Value: '2' }]]);
    assert.deepEqual((await iam.send(new ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn: arn, MaxItems: 1 }))).Tags, [{ Key: 't', Value: '1' }]);
    await iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    assert.equal((await sdkError(iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn })))).name, 'NoSuchEntityException');
  });
});
