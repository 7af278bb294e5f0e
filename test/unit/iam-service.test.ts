// IamService against the real SQLite store and secret box: IAM's texts for missing, existing and
// conflicting entities, quotas, validation, sealed access keys, policy versions, the built-in
// AWS-managed policies, trust policies, OIDC providers, tags, and what policiesFor hands the authorizer.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { openSqlite } from '../../src/adapters/metadata-sqlite/index.ts';
import { openLocalSecretBox } from '../../src/adapters/secret-box-local/index.ts';
import { WharfError } from '../../src/domain/errors.ts';
import type { IdentityStore } from '../../src/ports/identity-store.ts';
import type { SecretBox } from '../../src/ports/secret-box.ts';
import { IamService } from '../../src/services/iam.ts';
import { IdentityService } from '../../src/services/identity.ts';
import { SessionTokens } from '../../src/services/sessions.ts';

const A = '123456789012';
const B = '210987654321';
const T0 = new Date('2026-03-01T10:00:00.000Z');
const RO = 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly';
const identityDoc = (action = 'ecr:BatchGetImage') => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });
const trustDoc = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: 'sts:AssumeRole' }] });
const user = (name: string, accountId = A) => ({ kind: 'user', accountId, name }) as const;
const role = (name: string, accountId = A) => ({ kind: 'role', accountId, name }) as const;

async function fails(p: Promise<unknown>, query: string, status: number, message: string | RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof WharfError, String(e));
    assert.equal(e.spec.query, query);
    assert.equal(e.status, status);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

describe('IamService', () => {
  let dir: string;
  let close: () => Promise<void>;
  let store: IdentityStore;
  let box: SecretBox;
  let iam: IamService;
  let now = T0;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-iam-'));
    const opened = openSqlite({ path: join(dir, 'wharf.db') });
    close = () => opened.meta.close();
    store = opened.identity;
    box = openLocalSecretBox(join(dir, 'master.key'));
    now = T0;
    iam = new IamService(store, box, { now: () => now });
  });
  afterEach(async () => { await close(); rmSync(dir, { recursive: true, force: true }); });

  describe('users', () => {
    test('CreateUser answers the record with an AIDA id; names are unique without regard to case', async () => {
      const u = await iam.createUser(A, { userName: 'alice', path: '/team/', tags: [{ key: 'team', value: 'a' }] });
      assert.match(u.id, /^AIDA[A-Z2-7]{17}$/);
      assert.equal(u.arn, `arn:aws:iam::${A}:user/team/alice`);
      assert.deepEqual(u.createdAt, T0);
      await fails(iam.createUser(A, { userName: 'Alice' }), 'EntityAlreadyExists', 409, 'User with name Alice already exists.');
      assert.equal((await iam.createUser(B, { userName: 'alice' })).arn, `arn:aws:iam::${B}:user/alice`, 'another account may');
    });

    test('GetUser / UpdateUser / DeleteUser of a missing user: NoSuchEntity with IAM\'s text', async () => {
      const text = 'The user with name nobody cannot be found.';
      await fails(iam.getUser(A, 'nobody'), 'NoSuchEntity', 404, text);
      await fails(iam.updateUser(A, 'nobody', { newUserName: 'x' }), 'NoSuchEntity', 404, text);
      await fails(iam.deleteUser(A, 'nobody'), 'NoSuchEntity', 404, text);
      await fails(iam.listAccessKeys(A, 'nobody'), 'NoSuchEntity', 404, text);
      await fails(iam.listNothingForUser(A, 'nobody'), 'NoSuchEntity', 404, text);
      await iam.createUser(B, { userName: 'bob' });
      await fails(iam.getUser(A, 'bob'), 'NoSuchEntity', 404, 'The user with name bob cannot be found.');
    });

    test('names, paths and tags are validated with ValidationError / InvalidInput texts', async () => {
      await fails(iam.createUser(A, { userName: 'bad name' }), 'ValidationError', 400,
        "1 validation error detected: Value 'bad name' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+");
      await fails(iam.createUser(A, { userName: 'x'.repeat(65) }), 'ValidationError', 400, /at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64$/);
      await fails(iam.createUser(A, { userName: 'a', path: 'team' }), 'ValidationError', 400, /Value 'team' at 'path'/);
      await fails(iam.createUser(A, { userName: 'a', tags: [{ key: 'k', value: '1' }, { key: 'K', value: '2' }] }), 'InvalidInput', 400,
        'Duplicate tag keys found. Please note that Tag keys are case insensitive.');
      await fails(iam.createUser(A, { userName: 'a', tags: [{ key: '', value: '1' }] }), 'ValidationError', 400, /at 'tags.1.member.key'/);
      await fails(iam.createUser(A, { userName: 'a', tags: Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: '' })) }), 'ValidationError', 400, /less than or equal to 50/);
    });

    test('UpdateUser renames, keeping the id; the old name is gone; a taken name is EntityAlreadyExists', async () => {
      const u = await iam.createUser(A, { userName: 'alice' });
      await iam.createUser(A, { userName: 'bob' });
      await fails(iam.updateUser(A, 'alice', { newUserName: 'bob' }), 'EntityAlreadyExists', 409, 'User with name bob already exists.');
      await iam.updateUser(A, 'alice', { newUserName: 'alicia', newPath: '/x/' });
      const got = await iam.getUser(A, 'alicia');
      assert.equal(got.id, u.id);
      assert.equal(got.arn, `arn:aws:iam::${A}:user/x/alicia`);
    });

    test('DeleteUser: DeleteConflict for keys, then inline policies, then attached policies', async () => {
      await iam.createUser(A, { userName: 'alice' });
      const { key } = await iam.createAccessKey(A, 'alice');
      await iam.putInlinePolicy(user('alice'), 'p', identityDoc());
      await iam.attachPolicy(user('alice'), RO);
      await fails(iam.deleteUser(A, 'alice'), 'DeleteConflict', 409, 'Cannot delete entity, must delete access keys first.');
      await iam.deleteAccessKey(A, 'alice', key.accessKeyId);
      await fails(iam.deleteUser(A, 'alice'), 'DeleteConflict', 409, 'Cannot delete entity, must delete policies first.');
      await iam.deleteInlinePolicy(user('alice'), 'p');
      await fails(iam.deleteUser(A, 'alice'), 'DeleteConflict', 409, 'Cannot delete entity, must detach all policies first.');
      await iam.detachPolicy(user('alice'), RO);
      await iam.deleteUser(A, 'alice');
      await fails(iam.getUser(A, 'alice'), 'NoSuchEntity', 404, 'The user with name alice cannot be found.');
    });

    test('the empty answers Terraform reads; login profiles never exist', async () => {
      await iam.createUser(A, { userName: 'alice' });
      assert.deepEqual(await iam.listNothingForUser(A, 'alice'), []);
      await fails(iam.loginProfile(A, 'alice'), 'NoSuchEntity', 404, 'Login Profile for User alice cannot be found.');
    });
  });

  describe('access keys', () => {
    test('CreateAccessKey: AKIA + 16, secret sealed in the store and usable for SigV4 lookups; 2 per user', async () => {
      await iam.createUser(A, { userName: 'alice' });
      const made = await iam.createAccessKey(A, 'alice');
      assert.match(made.key.accessKeyId, /^AKIA[A-Z2-7]{16}$/);
      assert.equal(made.secretAccessKey.length, 40);
      assert.equal(made.key.userName, 'alice');
      const stored = (await store.getAccessKey(made.key.accessKeyId))!;
      assert.notEqual(stored.sealedSecret, made.secretAccessKey, 'never stored in clear');
      assert.equal(box.open(stored.sealedSecret), made.secretAccessKey);
      const found = await new IdentityService(store, box, { now: () => now }, A, new SessionTokens(box.derive('sts-session-token'), A)).lookup(made.key.accessKeyId);
      assert.equal(found?.secret, made.secretAccessKey);
      assert.equal(found?.principal.arn, `arn:aws:iam::${A}:user/alice`);
      await iam.createAccessKey(A, 'alice');
      await fails(iam.createAccessKey(A, 'alice'), 'LimitExceeded', 409, 'Cannot exceed quota for AccessKeysPerUser: 2');
    });

    test('UpdateAccessKey Inactive stops lookups at once; unknown keys are NoSuchEntity; status is an enum', async () => {
      await iam.createUser(A, { userName: 'alice' });
      const { key } = await iam.createAccessKey(A, 'alice');
      const identity = new IdentityService(store, box, { now: () => now }, A, new SessionTokens(box.derive('sts-session-token'), A));
      await iam.updateAccessKey(A, 'alice', key.accessKeyId, 'Inactive');
      assert.equal(await identity.lookup(key.accessKeyId), undefined);
      assert.equal((await iam.listAccessKeys(A, 'alice'))[0].status, 'Inactive');
      await iam.updateAccessKey(A, 'alice', key.accessKeyId, 'Active');
      assert.ok(await identity.lookup(key.accessKeyId));
      await fails(iam.updateAccessKey(A, 'alice', 'AKIANOTAKEY000000000', 'Inactive'), 'NoSuchEntity', 404, 'The Access Key with id AKIANOTAKEY000000000 cannot be found.');
      await fails(iam.updateAccessKey(A, 'alice', key.accessKeyId, 'Sleeping'), 'ValidationError', 400, /enum value set: \[Active, Inactive, Expired\]/);
      await fails(iam.deleteAccessKey(A, undefined, key.accessKeyId), 'NoSuchEntity', 404, `The Access Key with id ${key.accessKeyId} cannot be found.`);
    });

    test('root keys when no user is named; last use is recorded and read back', async () => {
      const root = await iam.createAccessKey(A, undefined);
      assert.equal(root.key.principalArn, `arn:aws:iam::${A}:root`);
      assert.equal(root.key.userName, undefined);
      assert.deepEqual((await iam.listAccessKeys(A, undefined)).map((k) => k.accessKeyId), [root.key.accessKeyId]);
      assert.deepEqual(await iam.getAccessKeyLastUsed(A, root.key.accessKeyId), {});
      now = new Date(T0.getTime() + 60_000);
      await iam.recordAccessKeyUse(root.key.accessKeyId, 'ecr', 'eu-west-1');
      assert.deepEqual(await iam.getAccessKeyLastUsed(A, root.key.accessKeyId), { lastUsed: { date: now, service: 'ecr', region: 'eu-west-1' } });
      await fails(iam.getAccessKeyLastUsed(B, root.key.accessKeyId), 'NoSuchEntity', 404, /cannot be found/);
    });
  });

  describe('managed policies', () => {
    const arn = `arn:aws:iam::${A}:policy/pull`;
    test('CreatePolicy: ANPA id, v1 default, attachable; duplicate names and bad documents refused', async () => {
      const p = await iam.createPolicy(A, { policyName: 'pull', policyDocument: identityDoc(), description: 'd' });
      assert.match(p.id, /^ANPA[A-Z2-7]{17}$/);
      assert.deepEqual([p.arn, p.defaultVersionId, p.isAttachable, p.attachmentCount], [arn, 'v1', true, 0]);
      await fails(iam.createPolicy(A, { policyName: 'PULL', policyDocument: identityDoc() }), 'EntityAlreadyExists', 409,
        'A policy called PULL already exists. Duplicate names are not allowed.');
      await fails(iam.createPolicy(A, { policyName: 'x', policyDocument: '{"Version":"2012-10-17"}' }), 'MalformedPolicyDocument', 400, 'Syntax errors in policy.');
      const big = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ecr:*', Resource: Array.from({ length: 300 }, (_, i) => `arn:aws:ecr:eu-west-1:${A}:repository/r${i}`) }] });
      await fails(iam.createPolicy(A, { policyName: 'big', policyDocument: big }), 'LimitExceeded', 409, 'Cannot exceed quota for PolicySize: 6144');
      await fails(iam.getPolicy(A, `arn:aws:iam::${A}:policy/none`), 'NoSuchEntity', 404, `Policy arn:aws:iam::${A}:policy/none was not found.`);
      await fails(iam.getPolicy(B, arn), 'NoSuchEntity', 404, `Policy ${arn} was not found.`);
      await fails(iam.getPolicy(A, 'not-an-arn-at-all-xx'), 'InvalidInput', 400, 'ARN not-an-arn-at-all-xx is not valid.');
    });

    test('versions: at most 5, SetAsDefault, the default cannot be deleted, DeletePolicy needs the others gone', async () => {
      await iam.createPolicy(A, { policyName: 'pull', policyDocument: identityDoc() });
      for (let i = 2; i <= 5; i++) await iam.createPolicyVersion(A, arn, identityDoc(`ecr:Action${i}`), i === 4);
      await fails(iam.createPolicyVersion(A, arn, identityDoc()), 'LimitExceeded', 409,
        'A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.');
      assert.equal((await iam.getPolicy(A, arn)).defaultVersionId, 'v4');
      await fails(iam.deletePolicyVersion(A, arn, 'v4'), 'DeleteConflict', 409, 'Cannot delete the default version of a policy.');
      await fails(iam.getPolicyVersion(A, arn, 'v9'), 'NoSuchEntity', 404, `Policy ${arn} version v9 does not exist or is not attachable.`);
      await iam.setDefaultPolicyVersion(A, arn, 'v1');
      assert.equal((await iam.getPolicyVersion(A, arn, 'v1')).isDefault, true);
      await fails(iam.deletePolicy(A, arn), 'DeleteConflict', 409, /^This policy has more than one version\./);
      for (const v of await iam.listPolicyVersions(A, arn)) if (!v.isDefault) await iam.deletePolicyVersion(A, arn, v.versionId);
      await iam.deletePolicy(A, arn);
      await fails(iam.getPolicy(A, arn), 'NoSuchEntity', 404, `Policy ${arn} was not found.`);
    });

    test('DeletePolicy while attached is DeleteConflict', async () => {
      await iam.createPolicy(A, { policyName: 'pull', policyDocument: identityDoc() });
      await iam.createRole(A, { roleName: 'ci', assumeRolePolicyDocument: trustDoc });
      await iam.attachPolicy(role('ci'), arn);
      assert.equal((await iam.getPolicy(A, arn)).attachmentCount, 1);
      await fails(iam.deletePolicy(A, arn), 'DeleteConflict', 409, 'Cannot delete a policy attached to entities.');
    });

    test('the built-in AWS-managed policies: readable, attachable, unmodifiable; unknown ones are not attachable', async () => {
      const p = await iam.getPolicy(A, RO);
      assert.equal(p.name, 'AmazonEC2ContainerRegistryReadOnly');
      const v = await iam.getPolicyVersion(A, RO, p.defaultVersionId);
      assert.ok((JSON.parse(v.document).Statement[0].Action as string[]).includes('ecr:DescribeImageScanFindings'));
      assert.equal((await iam.listPolicyVersions(A, RO)).length, 1);
      await fails(iam.createPolicyVersion(A, RO, identityDoc()), 'UnmodifiableEntity', 400, `Cannot modify the AWS managed policy ${RO}.`);
      await fails(iam.deletePolicy(A, RO), 'UnmodifiableEntity', 400, /Cannot modify/);
      await iam.createUser(A, { userName: 'alice' });
      const fake = 'arn:aws:iam::aws:policy/AdministratorAccess';
      await fails(iam.attachPolicy(user('alice'), fake), 'NoSuchEntity', 404, `Policy ${fake} does not exist or is not attachable.`);
      await fails(iam.attachPolicy(user('alice'), `arn:aws:iam::${B}:policy/theirs`), 'NoSuchEntity', 404, /does not exist or is not attachable/);
    });
  });

  describe('ListPolicies', () => {
    const names = (p: { items: { name: string }[] }) => p.items.map((x) => x.name);
    const BUILT_IN = ['AmazonEC2ContainerRegistryFullAccess', 'AmazonEC2ContainerRegistryPowerUser', 'AmazonEC2ContainerRegistryPullOnly', 'AmazonEC2ContainerRegistryReadOnly'];

    test('Scope All lists the built-in policies, then the account\'s own; AWS and Local each part; other accounts\' never', async () => {
      for (const n of ['zeta', 'alpha']) await iam.createPolicy(A, { policyName: n, policyDocument: identityDoc() });
      await iam.createPolicy(B, { policyName: 'theirs', policyDocument: identityDoc() });
      assert.deepEqual(names(await iam.listPolicies(A)), [...BUILT_IN, 'alpha', 'zeta']);
      assert.deepEqual(names(await iam.listPolicies(A, { scope: 'AWS' })), BUILT_IN);
      assert.deepEqual(names(await iam.listPolicies(A, { scope: 'Local' })), ['alpha', 'zeta']);
      const distinct = new Set((await iam.listPolicies(A, { scope: 'AWS' })).items.map((p) => p.id));
      assert.equal(distinct.size, BUILT_IN.length, 'each built-in policy has its own id');
      await fails(iam.listPolicies(A, { scope: 'Mine' }), 'ValidationError', 400,
        "1 validation error detected: Value 'Mine' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]");
    });

    test('pages of every size walk the whole list once, across the built-in and local parts', async () => {
      for (const n of ['c', 'a', 'b']) await iam.createPolicy(A, { policyName: n, policyDocument: identityDoc() });
      const all = [...BUILT_IN, 'a', 'b', 'c'];
      for (let size = 1; size <= all.length + 1; size++) {
        const seen: string[] = [];
        let marker: string | undefined;
        for (let guard = 0; guard < 20; guard++) {
          const page = await iam.listPolicies(A, { maxItems: size, ...(marker !== undefined ? { marker } : {}) });
          assert.ok(page.items.length <= size);
          seen.push(...names(page));
          if (!page.isTruncated) break;
          marker = page.marker;
        }
        assert.deepEqual(seen, all, `page size ${size}`);
      }
    });

    test('OnlyAttached keeps policies attached in the account; built-in ones count the account\'s attachments', async () => {
      await iam.createPolicy(A, { policyName: 'mine', policyDocument: identityDoc() });
      await iam.createPolicy(A, { policyName: 'idle', policyDocument: identityDoc() });
      await iam.createUser(A, { userName: 'alice' });
      await iam.createRole(A, { roleName: 'ci', assumeRolePolicyDocument: trustDoc });
      await iam.createUser(B, { userName: 'bob' });
      await iam.attachPolicy(user('alice'), `arn:aws:iam::${A}:policy/mine`);
      await iam.attachPolicy(user('alice'), RO);
      await iam.attachPolicy(role('ci'), RO);
      await iam.attachPolicy(user('bob', B), 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly');
      const attached = await iam.listPolicies(A, { onlyAttached: true });
      assert.deepEqual(attached.items.map((p) => [p.name, p.attachmentCount]), [['AmazonEC2ContainerRegistryReadOnly', 2], ['mine', 1]]);
      assert.equal((await iam.getPolicy(A, RO)).attachmentCount, 2);
      assert.equal((await iam.getPolicy(B, RO)).attachmentCount, 0);
    });
  });

  describe('inline policies and attachments', () => {
    test('Put/Get/List/Delete user and role policies with IAM\'s texts and aggregate size quotas', async () => {
      await iam.createUser(A, { userName: 'alice' });
      await iam.createRole(A, { roleName: 'ci', assumeRolePolicyDocument: trustDoc });
      await iam.putInlinePolicy(user('alice'), 'p', identityDoc());
      assert.deepEqual(await iam.getInlinePolicy(user('alice'), 'p'), { name: 'p', document: identityDoc() });
      assert.deepEqual(await iam.listInlinePolicies(user('alice')), ['p']);
      await fails(iam.getInlinePolicy(user('alice'), 'q'), 'NoSuchEntity', 404, 'The user policy with name q cannot be found.');
      await fails(iam.getInlinePolicy(role('ci'), 'q'), 'NoSuchEntity', 404, 'The role policy with name q cannot be found.');
      await fails(iam.putInlinePolicy(role('nope'), 'p', identityDoc()), 'NoSuchEntity', 404, 'The role with name nope cannot be found.');
      await fails(iam.putInlinePolicy(user('alice'), 'p', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'ecr:*', Resource: '*' }] })),
        'MalformedPolicyDocument', 400, 'Policy document should not specify a principal.');
      const doc = (n: number) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ecr:*', Resource: Array.from({ length: n }, (_, i) => `arn:aws:ecr:eu-west-1:${A}:repository/r${i}`) }] });
      await fails(iam.putInlinePolicy(user('alice'), 'big', doc(40)), 'LimitExceeded', 409, 'Maximum policy size of 2048 bytes exceeded for user alice');
      await iam.putInlinePolicy(role('ci'), 'big', doc(40));
      await fails(iam.putInlinePolicy(role('ci'), 'bigger', doc(200)), 'LimitExceeded', 409, 'Maximum policy size of 10240 bytes exceeded for role ci');
      await iam.deleteInlinePolicy(user('alice'), 'p');
      await fails(iam.deleteInlinePolicy(user('alice'), 'p'), 'NoSuchEntity', 404, 'The user policy with name p cannot be found.');
    });

    test('attach: at most 10 per principal; detach of a policy not attached is NoSuchEntity; list names the policies', async () => {
      await iam.createUser(A, { userName: 'alice' });
      for (let i = 0; i < 10; i++) {
        await iam.createPolicy(A, { policyName: `p${i}`, policyDocument: identityDoc() });
        await iam.attachPolicy(user('alice'), `arn:aws:iam::${A}:policy/p${i}`);
      }
      await fails(iam.attachPolicy(user('alice'), RO), 'LimitExceeded', 409, 'Cannot exceed quota for PoliciesPerUser: 10');
      await iam.attachPolicy(user('alice'), `arn:aws:iam::${A}:policy/p0`);
      assert.deepEqual((await iam.listAttachedPolicies(user('alice')))[0], { policyName: 'p0', policyArn: `arn:aws:iam::${A}:policy/p0` });
      await fails(iam.detachPolicy(user('alice'), RO), 'NoSuchEntity', 404, `Policy ${RO} was not found.`);
    });
  });

  describe('roles', () => {
    test('CreateRole: AROA id, default MaxSessionDuration 3600, trust policy kept as given', async () => {
      const r = await iam.createRole(A, { roleName: 'ci', assumeRolePolicyDocument: trustDoc, description: 'CI' });
      assert.match(r.id, /^AROA[A-Z2-7]{17}$/);
      assert.deepEqual([r.arn, r.maxSessionDuration, r.trustPolicy, r.path], [`arn:aws:iam::${A}:role/ci`, 3600, trustDoc, '/']);
      assert.equal((await iam.getRole(A, 'CI')).id, r.id);
      await fails(iam.createRole(A, { roleName: 'ci', assumeRolePolicyDocument: trustDoc }), 'EntityAlreadyExists', 409, 'Role with name ci already exists.');
      await fails(iam.getRole(A, 'nope'), 'NoSuchEntity', 404, 'The role with name nope cannot be found.');
      await fails(iam.getRole(B, 'ci'), 'NoSuchEntity', 404, 'The role with name ci cannot be found.');
    });

    test('trust policy checks and limits', async () => {
      const withResource = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole', Resource: '*' }] });
      await fails(iam.createRole(A, { roleName: 'r', assumeRolePolicyDocument: withResource }), 'MalformedPolicyDocument', 400, 'Has prohibited field Resource.');
      await fails(iam.createRole(A, { roleName: 'r', assumeRolePolicyDocument: trustDoc, maxSessionDuration: 3599 }), 'ValidationError', 400,
        "1 validation error detected: Value '3599' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600");
      await fails(iam.createRole(A, { roleName: 'r', assumeRolePolicyDocument: trustDoc, maxSessionDuration: 43201 }), 'ValidationError', 400, /less than or equal to 43200/);
      const big = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: Array.from({ length: 50 }, (_, i) => `arn:aws:iam::${A}:user/user-number-${i}`) }, Action: 'sts:AssumeRole' }] });
      await fails(iam.createRole(A, { roleName: 'r', assumeRolePolicyDocument: big }), 'LimitExceeded', 409, 'Cannot exceed quota for ACLSizePerRole: 2048');
    });

    test('UpdateRole, UpdateAssumeRolePolicy, boundaries, DeleteRole conflicts, instance profiles', async () => {
      await iam.createRole(A, { roleName: 'ci', assumeRolePolicyDocument: trustDoc });
      await iam.updateRole(A, 'ci', { maxSessionDuration: 7200, description: 'x' });
      const other = trustDoc.replace('root', 'user/alice');
      await iam.updateAssumeRolePolicy(A, 'ci', other);
      await fails(iam.setRolePermissionsBoundary(A, 'ci', `arn:aws:iam::${A}:policy/none`), 'NoSuchEntity', 404, /does not exist or is not attachable/);
      await iam.setRolePermissionsBoundary(A, 'ci', RO);
      const got = await iam.getRole(A, 'ci');
      assert.deepEqual([got.maxSessionDuration, got.description, got.trustPolicy, got.permissionsBoundary], [7200, 'x', other, RO]);
      assert.deepEqual(await iam.listInstanceProfilesForRole(A, 'ci'), []);
      await iam.putInlinePolicy(role('ci'), 'p', identityDoc());
      await fails(iam.deleteRole(A, 'ci'), 'DeleteConflict', 409, 'Cannot delete entity, must delete policies first.');
      await iam.deleteInlinePolicy(role('ci'), 'p');
      await iam.attachPolicy(role('ci'), RO);
      await fails(iam.deleteRole(A, 'ci'), 'DeleteConflict', 409, 'Cannot delete entity, must detach all policies first.');
      await iam.detachPolicy(role('ci'), RO);
      await iam.deleteRole(A, 'ci');
      await fails(iam.updateRole(A, 'ci', { description: 'y' }), 'NoSuchEntity', 404, 'The role with name ci cannot be found.');
    });
  });

  describe('OIDC providers', () => {
    const url = 'https://token.actions.githubusercontent.com';
    const arn = `arn:aws:iam::${A}:oidc-provider/token.actions.githubusercontent.com`;
    test('create (no thumbprints, as Terraform 5.100), find by issuer, client ids, thumbprints, JWKS, delete', async () => {
      const p = await iam.createOpenIDConnectProvider(A, { url, clientIdList: ['sts.amazonaws.com'], jwks: '{"keys":[]}' });
      assert.equal(p.arn, arn);
      await fails(iam.createOpenIDConnectProvider(A, { url }), 'EntityAlreadyExists', 409, `Provider with url ${url} already exists.`);
      assert.equal((await iam.findOpenIDConnectProvider(A, url))?.jwks, '{"keys":[]}');
      assert.equal(await iam.findOpenIDConnectProvider(B, url), undefined);
      await iam.addClientId(A, arn, 'other');
      await iam.removeClientId(A, arn, 'sts.amazonaws.com');
      await iam.updateThumbprints(A, arn, ['a'.repeat(40)]);
      await iam.setJwks(A, arn, { jwksFile: '/etc/wharf/gh-jwks.json' });
      const got = await iam.getOpenIDConnectProvider(A, arn);
      assert.deepEqual([got.clientIds, got.thumbprints, got.jwks, got.jwksFile], [['other'], ['a'.repeat(40)], undefined, '/etc/wharf/gh-jwks.json']);
      assert.deepEqual(await iam.listOpenIDConnectProviders(A), [arn]);
      await fails(iam.updateThumbprints(A, arn, ['xyz']), 'ValidationError', 400, /greater than or equal to 40/);
      await fails(iam.setJwks(A, arn, { jwks: '[]' }), 'InvalidInput', 400, /"keys" list/);
      await fails(iam.createOpenIDConnectProvider(A, { url: 'http://insecure.example' }), 'InvalidInput', 400, 'Invalid Open ID Connect Provider URL');
      await iam.deleteOpenIDConnectProvider(A, arn);
      await fails(iam.getOpenIDConnectProvider(A, arn), 'NoSuchEntity', 404, `OpenIDConnect Provider not found for arn ${arn}`);
      await fails(iam.getOpenIDConnectProvider(B, arn), 'NoSuchEntity', 404, /not found for arn/);
    });
  });

  describe('tags', () => {
    test('tag, untag and list on users, roles, policies and providers; at most 50; AWS policies unmodifiable', async () => {
      await iam.createUser(A, { userName: 'alice', tags: [{ key: 'a', value: '1' }] });
      await iam.tag(A, { kind: 'user', name: 'alice' }, [{ key: 'b', value: '2' }, { key: 'A', value: '3' }]);
      assert.deepEqual(await iam.listTags(A, { kind: 'user', name: 'alice' }), [{ key: 'A', value: '3' }, { key: 'b', value: '2' }]);
      await iam.untag(A, { kind: 'user', name: 'alice' }, ['a']);
      assert.deepEqual((await iam.getUser(A, 'alice')).tags, [{ key: 'b', value: '2' }]);
      const many = Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: '' }));
      await fails(iam.tag(A, { kind: 'user', name: 'alice' }, many), 'LimitExceeded', 409, 'Cannot exceed quota for TagsPerUser: 50');
      await fails(iam.tag(A, { kind: 'role', name: 'nope' }, [{ key: 'k', value: 'v' }]), 'NoSuchEntity', 404, 'The role with name nope cannot be found.');
      await iam.createPolicy(A, { policyName: 'p', policyDocument: identityDoc() });
      await iam.tag(A, { kind: 'policy', arn: `arn:aws:iam::${A}:policy/p` }, [{ key: 'k', value: 'v' }]);
      assert.deepEqual((await iam.getPolicy(A, `arn:aws:iam::${A}:policy/p`)).tags, [{ key: 'k', value: 'v' }]);
      await fails(iam.tag(B, { kind: 'policy', arn: `arn:aws:iam::${A}:policy/p` }, [{ key: 'k', value: 'v' }]), 'NoSuchEntity', 404, /was not found/);
      await fails(iam.tag(A, { kind: 'policy', arn: RO }, [{ key: 'k', value: 'v' }]), 'UnmodifiableEntity', 400, /Cannot modify/);
      assert.deepEqual(await iam.listTags(A, { kind: 'policy', arn: RO }), []);
    });
  });

  describe('policiesFor', () => {
    test('inline, customer-managed (default version) and AWS-managed policies, and the boundary, parsed', async () => {
      await iam.createRole(A, { roleName: 'ci', assumeRolePolicyDocument: trustDoc, permissionsBoundary: RO });
      const arn = `arn:aws:iam::${A}:policy/push`;
      await iam.createPolicy(A, { policyName: 'push', policyDocument: identityDoc('ecr:PutImage') });
      await iam.createPolicyVersion(A, arn, identityDoc('ecr:UploadLayerPart'), true);
      await iam.attachPolicy(role('ci'), arn);
      await iam.attachPolicy(role('ci'), RO);
      await iam.putInlinePolicy(role('ci'), 'extra', identityDoc('ecr:ListImages'));
      const set = (await iam.policiesFor(role('ci')))!;
      assert.deepEqual(set.identity.map((p) => [p.source, p.document.Statement[0].Action]), [
        ['inline:extra', 'ecr:ListImages'], [arn, 'ecr:UploadLayerPart'], [RO, (await iam.getPolicyVersion(A, RO, 'v1')) && JSON.parse((await iam.getPolicyVersion(A, RO, 'v1')).document).Statement[0].Action],
      ]);
      assert.equal(set.boundary?.source, RO);
      assert.equal(set.boundary?.document.Version, '2012-10-17');
      assert.equal(await iam.policiesFor(role('gone')), undefined);
      await iam.createUser(A, { userName: 'alice' });
      assert.deepEqual(await iam.policiesFor(user('alice')), { identity: [] });
    });
  });
});
