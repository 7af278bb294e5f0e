// The authorization point over real stores (SQLite, IAM records): root, IAM users with identity
// policies (an AWS-managed one among them), repository and registry policies, conditions on tags,
// and that a change to any of them decides the very next request (no stale cache).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildServices, openStores, type Stores } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Services } from '../../src/http/services.ts';
import type { Denial } from '../../src/services/authorization.ts';
import { rootArn, rootPrincipal, userPrincipal, type Principal } from '../../src/services/identity.ts';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const repoArn = (name: string) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`;
const ROOT: Principal = rootPrincipal(ACCOUNT);
const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });

describe('authorization over real stores', () => {
  let dir: string;
  let stores: Stores;
  let s: Services;
  const denials: Denial[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-authz-'));
    const config = loadConfig({ env: {}, flags: { dataDir: dir, accountId: ACCOUNT, region: REGION } });
    stores = await openStores(config);
    s = buildServices(config, stores, undefined, (d) => denials.push(d));
    await s.repositories.create('team/app', {}, { team: 'blue' });
    await s.repositories.create('other/app');
  });
  after(async () => {
    await stores.meta.close();
    await stores.blobs.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The user as authentication makes it (its id, path and tags as the store has them now). */
  const user = async (name: string): Promise<Principal> => userPrincipal(await s.iam.getUser(ACCOUNT, name));
  const allowed = async (p: Principal, action: string, resource: string) => (await s.authz.decide(p, action, resource)).decision;
  async function deniedWith(p: Principal, action: string, resource: string, message: string): Promise<void> {
    await assert.rejects(s.authz.authorize(p, action, resource), (e: Error & { spec?: { id: string } }) => {
      assert.equal(e.spec?.id, 'Denied');
      assert.equal(e.message, message);
      return true;
    });
  }

  test('the root may do everything in its account until a resource policy denies it explicitly', async () => {
    assert.equal(await allowed(ROOT, 'ecr:PutImage', repoArn('other/app')), 'Allow');
    await s.policies.setRepositoryPolicy('other/app', doc({ Sid: 'NoPushByRoot', Effect: 'Deny', Principal: { AWS: rootArn(ACCOUNT) }, Action: 'ecr:PutImage' }), false, ROOT);
    await deniedWith(ROOT, 'ecr:PutImage', repoArn('other/app'),
      `User: ${ROOT.arn} is not authorized to perform: ecr:PutImage on resource: ${repoArn('other/app')} with an explicit deny in a resource-based policy`);
    assert.deepEqual(denials.at(-1), { principal: ROOT.arn, action: 'ecr:PutImage', resource: repoArn('other/app'), decision: 'ExplicitDeny', reason: 'explicit-resource',
      statements: [{ policy: 'repository/other/app', sid: 'NoPushByRoot' }] }, 'the denial is reported with the deciding Sid');
    assert.equal(await allowed(ROOT, 'ecr:BatchGetImage', repoArn('other/app')), 'Allow', 'other actions stay allowed');
    assert.equal(await allowed(ROOT, 'ecr:DeleteRepositoryPolicy', repoArn('other/app')), 'Allow', 'the root can always remove the policy');
    await s.policies.deleteRepositoryPolicy('other/app');
    assert.equal(await allowed(ROOT, 'ecr:PutImage', repoArn('other/app')), 'Allow', 'the next request sees the policy gone');
  });

  test('a user with no policies may do nothing; the AWS-managed pull-only policy allows pulls, not pushes', async () => {
    await s.iam.createUser(ACCOUNT, { userName: 'puller' });
    const puller = await user('puller');
    await deniedWith(puller, 'ecr:BatchGetImage', repoArn('team/app'),
      `User: ${puller.arn} is not authorized to perform: ecr:BatchGetImage on resource: ${repoArn('team/app')} because no identity-based policy allows the ecr:BatchGetImage action`);
    await s.iam.attachPolicy({ kind: 'user', accountId: ACCOUNT, name: 'puller' }, 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly');
    for (const a of ['ecr:GetAuthorizationToken', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability']) {
      assert.equal(await allowed(puller, a, a === 'ecr:GetAuthorizationToken' ? '*' : repoArn('team/app')), 'Allow', a);
    }
    for (const a of ['ecr:PutImage', 'ecr:InitiateLayerUpload', 'ecr:BatchDeleteImage']) assert.equal(await allowed(puller, a, repoArn('team/app')), 'ImplicitDeny', a);
    await s.iam.detachPolicy({ kind: 'user', accountId: ACCOUNT, name: 'puller' }, 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly');
    assert.equal(await allowed(puller, 'ecr:BatchGetImage', repoArn('team/app')), 'ImplicitDeny', 'detaching takes effect at once');
  });

  test('a repository policy naming a user grants it directly; naming the account delegates to identity policies', async () => {
    await s.iam.createUser(ACCOUNT, { userName: 'pusher' });
    const pusher = await user('pusher');
    await s.policies.setRepositoryPolicy('team/app', doc({ Sid: 'PusherPushes', Effect: 'Allow', Principal: { AWS: pusher.arn }, Action: ['ecr:PutImage', 'ecr:InitiateLayerUpload'] }), false, ROOT);
    assert.equal(await allowed(pusher, 'ecr:PutImage', repoArn('team/app')), 'Allow');
    assert.equal(await allowed(pusher, 'ecr:PutImage', repoArn('other/app')), 'ImplicitDeny', 'only on that repository');
    await s.policies.setRepositoryPolicy('team/app', doc({ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'ecr:PutImage' }), false, ROOT);
    assert.equal(await allowed(pusher, 'ecr:PutImage', repoArn('team/app')), 'ImplicitDeny', 'the account as principal is delegation, not a grant');
    await s.policies.deleteRepositoryPolicy('team/app');
  });

  test('conditions see the repository tags and the principal tags (ABAC with a policy variable)', async () => {
    await s.iam.createUser(ACCOUNT, { userName: 'blue-dev', tags: [{ key: 'team', value: 'blue' }] });
    await s.iam.putInlinePolicy({ kind: 'user', accountId: ACCOUNT, name: 'blue-dev' }, 'own-team', doc({
      Effect: 'Allow', Action: 'ecr:*', Resource: `arn:aws:ecr:*:${ACCOUNT}:repository/*`,
      Condition: { StringEquals: { 'ecr:ResourceTag/team': '${aws:PrincipalTag/team}' } },
    }));
    const dev = await user('blue-dev');
    assert.equal(await allowed(dev, 'ecr:PutImage', repoArn('team/app')), 'Allow', 'tag team=blue matches');
    assert.equal(await allowed(dev, 'ecr:PutImage', repoArn('other/app')), 'ImplicitDeny', 'an untagged repository does not');
    await s.repositories.changeResourceTags('other/app', { team: 'blue' }, []);
    assert.equal(await allowed(dev, 'ecr:PutImage', repoArn('other/app')), 'Allow', 'tagging the repository takes effect at once');
  });

  test('the registry policy (scope V2) applies to every ECR action; under V1 only to the actions V1 honours', async () => {
    await s.iam.createUser(ACCOUNT, { userName: 'everything' });
    await s.iam.attachPolicy({ kind: 'user', accountId: ACCOUNT, name: 'everything' }, 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryFullAccess');
    const u = await user('everything');
    assert.equal(await allowed(u, 'ecr:DeleteRepository', repoArn('team/app')), 'Allow');
    await s.policies.putRegistryPolicy(doc({ Sid: 'NoDeletes', Effect: 'Deny', Principal: { AWS: u.arn }, Action: ['ecr:DeleteRepository', 'ecr:CreateRepository'], Resource: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/*` }));
    assert.equal(await allowed(u, 'ecr:DeleteRepository', repoArn('team/app')), 'ExplicitDeny');
    await s.policies.deleteRegistryPolicy();
    await s.policies.putAccountSetting('REGISTRY_POLICY_SCOPE', 'V1');
    await s.policies.putRegistryPolicy(doc({ Effect: 'Deny', Principal: { AWS: u.arn }, Action: ['ecr:CreateRepository'], Resource: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/*` }));
    assert.equal(await allowed(u, 'ecr:CreateRepository', repoArn('new/one')), 'ExplicitDeny', 'CreateRepository is a V1 action');
    await s.policies.deleteRegistryPolicy();
    await s.policies.putAccountSetting('REGISTRY_POLICY_SCOPE', 'V2');
  });

  test('a deleted user is denied, whatever it was allowed before', async () => {
    await s.iam.createUser(ACCOUNT, { userName: 'leaver' });
    await s.iam.attachPolicy({ kind: 'user', accountId: ACCOUNT, name: 'leaver' }, 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly');
    const leaver = await user('leaver'); // (as a registry token issued before the deletion would name it)
    assert.equal(await allowed(leaver, 'ecr:DescribeImages', repoArn('team/app')), 'Allow');
    await s.iam.detachPolicy({ kind: 'user', accountId: ACCOUNT, name: 'leaver' }, 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly');
    await s.iam.deleteUser(ACCOUNT, 'leaver');
    assert.equal(await allowed(leaver, 'ecr:DescribeImages', repoArn('team/app')), 'ImplicitDeny');
  });

  test('another process\'s change on the same store decides the next request here too', async () => {
    const config = loadConfig({ env: {}, flags: { dataDir: dir, accountId: ACCOUNT, region: REGION } });
    const otherStores = await openStores(config, { shared: true });
    try {
      const other = buildServices(config, otherStores);
      await s.iam.createUser(ACCOUNT, { userName: 'remote' });
      const remote = await user('remote');
      assert.equal(await allowed(remote, 'ecr:ListImages', repoArn('team/app')), 'ImplicitDeny');
      await other.iam.putInlinePolicy({ kind: 'user', accountId: ACCOUNT, name: 'remote' }, 'list', doc({ Effect: 'Allow', Action: 'ecr:ListImages', Resource: '*' }));
      assert.equal(await allowed(remote, 'ecr:ListImages', repoArn('team/app')), 'Allow');
    } finally {
      await otherStores.meta.close();
      await otherStores.blobs.close();
    }
  });
});
