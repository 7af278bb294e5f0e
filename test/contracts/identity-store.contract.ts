// The IdentityStore port contract (src/ports/identity-store.ts), registered as node:test tests for one
// adapter: records of every kind, the conflict outcomes IAM needs checked in one transaction, limits,
// ordering, renames, tags, isolation between accounts, and (given a second connection) that a change
// is seen by another process at once, as a running server sees `wharf admin rotate-root`.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { AccessKeyRecord, IdentityStore, NewManagedPolicy, NewRole, NewUser, PolicyOwner } from '../../src/ports/identity-store.ts';

export interface IdentityStoreFixture {
  store: IdentityStore;
  /** A second, independent connection to the same store, when the adapter has one. */
  second?: () => IdentityStore;
  cleanup(): Promise<void>;
}

const A = '111111111111';
const B = '222222222222';
const T0 = new Date(Date.UTC(2026, 0, 1));
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const ROOT = `arn:aws:iam::${A}:root`;
let seq = 0;
const uid = (prefix: string) => `${prefix}TEST${String(++seq).padStart(13, '0')}`;

function key(id: string, principalArn = ROOT, createdAt = T0): AccessKeyRecord {
  return { accessKeyId: id, sealedSecret: `sealed-${id}`, principalArn, status: 'Active', createdAt };
}
const user = (name: string, o: Partial<NewUser> = {}): NewUser => ({ accountId: A, name, path: '/', id: uid('AIDA'), createdAt: T0, tags: [], ...o });
const role = (name: string, o: Partial<NewRole> = {}): NewRole => ({
  accountId: A, name, path: '/', id: uid('AROA'), trustPolicy: '{"trust":true}', maxSessionDuration: 3600, createdAt: T0, tags: [], ...o,
});
const policy = (name: string, o: Partial<NewManagedPolicy> = {}): NewManagedPolicy => ({
  accountId: A, name, path: '/', id: uid('ANPA'), document: '{"v":1}', createdAt: T0, tags: [], ...o,
});
const newKey = (id: string, createdAt = T0) => ({ accessKeyId: id, sealedSecret: `sealed-${id}`, createdAt });
const u = (name: string, accountId = A): PolicyOwner => ({ kind: 'user', accountId, name });
const r = (name: string, accountId = A): PolicyOwner => ({ kind: 'role', accountId, name });
const AWS_RO = 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly';

/** `opts.secondConnection`: the adapter can open a second connection (fixture.second), so the test of changes seen through it runs. */
export function identityStoreContract(name: string, make: () => Promise<IdentityStoreFixture>, opts: { secondConnection?: boolean } = {}): void {
  describe(`IdentityStore contract: ${name}`, () => {
    let fx: IdentityStoreFixture;
    let s: IdentityStore;
    beforeEach(async () => { fx = await make(); s = fx.store; });
    afterEach(async () => { await fx.cleanup(); });

    describe('access keys by principal ARN (root keys)', () => {
      test("stores, replaces by id and lists one principal's keys oldest first", async () => {
        assert.equal(await s.getAccessKey('AKIANONE'), undefined);
        await s.putAccessKey(key('AKIAB', ROOT, at(2)));
        await s.putAccessKey(key('AKIAA', ROOT, at(1)));
        await s.putAccessKey(key('AKIAC', `arn:aws:iam::${A}:user/alice`));
        await s.putAccessKey({ ...key('AKIAB', ROOT, at(2)), sealedSecret: 'resealed' });
        assert.deepEqual((await s.listAccessKeys(ROOT)).map((k) => [k.accessKeyId, k.sealedSecret]), [['AKIAA', 'sealed-AKIAA'], ['AKIAB', 'resealed']]);
        const got = await s.getAccessKey('AKIAA');
        assert.deepEqual(got, key('AKIAA', ROOT, at(1)), 'a root key has no user and no last use');
      });

      test("replaceAccessKeys deactivates the principal's other keys only", async () => {
        await s.putAccessKey(key('AKIAOLD1'));
        await s.putAccessKey(key('AKIAOLD2'));
        await s.putAccessKey(key('AKIAUSER', `arn:aws:iam::${A}:user/alice`));
        assert.equal(await s.replaceAccessKeys(key('AKIANEW')), 2);
        assert.equal((await s.getAccessKey('AKIAOLD1'))?.status, 'Inactive');
        assert.equal((await s.getAccessKey('AKIAOLD2'))?.status, 'Inactive');
        assert.equal((await s.getAccessKey('AKIANEW'))?.status, 'Active');
        assert.equal((await s.getAccessKey('AKIAUSER'))?.status, 'Active', "another principal's key stays");
        assert.equal(await s.replaceAccessKeys(key('AKIANEWER')), 1, 'only the active ones count');
      });

      if (opts.secondConnection) test('a second connection sees replaced keys, user keys and their status at once', async () => {
        const other = fx.second!();
        await s.putAccessKey(key('AKIAOLD1'));
        assert.equal((await other.getAccessKey('AKIAOLD1'))?.status, 'Active');
        assert.equal(await other.replaceAccessKeys(key('AKIANEW')), 1);
        assert.equal((await s.getAccessKey('AKIAOLD1'))?.status, 'Inactive');
        await s.createUser(user('alice'));
        await s.createOwnedAccessKey({ accountId: A, userName: 'alice' }, newKey('AKIAALICE'), 2);
        assert.equal((await other.getAccessKey('AKIAALICE'))?.userName, 'alice');
        assert.equal(await other.setAccessKeyStatus({ accountId: A, userName: 'alice' }, 'AKIAALICE', 'Inactive'), 'ok');
        assert.equal((await s.getAccessKey('AKIAALICE'))?.status, 'Inactive');
        assert.equal((await other.deleteUser(A, 'alice')), 'has-keys');
      });
    });

    describe('accounts', () => {
      test('createAccount once, then false; listed by id', async () => {
        assert.equal(await s.createAccount(B, T0), true);
        assert.equal(await s.createAccount(A, at(1)), true);
        assert.equal(await s.createAccount(B, at(2)), false);
        assert.deepEqual(await s.getAccount(B), { id: B, createdAt: T0 });
        assert.equal(await s.getAccount('333333333333'), undefined);
        assert.deepEqual((await s.listAccounts()).map((a) => a.id), [A, B]);
      });
    });

    describe('users', () => {
      test('createUser returns the record with its ARN and tags, once per name whatever the case', async () => {
        const made = await s.createUser(user('alice', { path: '/team/', permissionsBoundary: AWS_RO, tags: [{ key: 'b', value: '2' }, { key: 'a', value: '' }] }));
        assert.equal(made?.arn, `arn:aws:iam::${A}:user/team/alice`);
        assert.deepEqual(made?.tags, [{ key: 'b', value: '2' }, { key: 'a', value: '' }], 'tags keep the order given');
        assert.equal(made?.permissionsBoundary, AWS_RO);
        assert.equal(await s.createUser(user('ALICE')), undefined);
        assert.deepEqual(await s.getUser(A, 'Alice'), made, 'found without regard to case');
        assert.equal(await s.getUser(A, 'bob'), undefined);
        assert.equal(await s.setUserBoundary(A, 'alice', undefined), true);
        assert.equal((await s.getUser(A, 'alice'))?.permissionsBoundary, undefined);
        assert.equal(await s.setUserBoundary(A, 'bob', AWS_RO), false);
      });

      test('listUsers is in name order, pages with an exclusive cursor and filters by path prefix', async () => {
        for (const [n, path] of [['carol', '/'], ['Bob', '/ops/'], ['alice', '/ops/x/'], ['dave', '/dev/']]) await s.createUser(user(n, { path }));
        const names = async (q: Parameters<IdentityStore['listUsers']>[1]) => (await s.listUsers(A, q)).map((x) => x.name);
        assert.deepEqual(await names({ limit: 10 }), ['alice', 'Bob', 'carol', 'dave']);
        assert.deepEqual(await names({ limit: 2 }), ['alice', 'Bob']);
        assert.deepEqual(await names({ limit: 2, after: 'Bob' }), ['carol', 'dave']);
        assert.deepEqual(await names({ limit: 10, pathPrefix: '/ops/' }), ['alice', 'Bob']);
        assert.deepEqual(await names({ limit: 10, pathPrefix: '/o_s/' }), [], 'LIKE wildcards in a prefix are literal');
      });

      test('updateUser renames and moves, keeping id, keys, policies and tags; the keys follow the new ARN', async () => {
        const made = (await s.createUser(user('alice', { tags: [{ key: 'k', value: 'v' }] })))!;
        await s.createOwnedAccessKey({ accountId: A, userName: 'alice' }, newKey('AKIAALICE'), 2);
        await s.putInlinePolicy(u('alice'), { name: 'p', document: '{}' }, 2, 2048);
        await s.createUser(user('bob'));
        assert.equal(await s.updateUser(A, 'alice', { newName: 'BOB' }), 'exists');
        assert.equal(await s.updateUser(A, 'nobody', { newName: 'x' }), 'missing');
        assert.equal(await s.updateUser(A, 'alice', { newName: 'Alice' }), 'ok', 'a change of case only');
        assert.equal(await s.updateUser(A, 'alice', { newName: 'alicia', newPath: '/new/' }), 'ok');
        const moved = (await s.getUser(A, 'alicia'))!;
        assert.equal(moved.id, made.id);
        assert.equal(moved.arn, `arn:aws:iam::${A}:user/new/alicia`);
        assert.deepEqual(moved.tags, [{ key: 'k', value: 'v' }]);
        assert.equal(await s.getUser(A, 'alice'), undefined);
        const k = (await s.getAccessKey('AKIAALICE'))!;
        assert.equal(k.principalArn, moved.arn);
        assert.equal(k.userName, 'alicia');
        assert.deepEqual(await s.listInlinePolicies(u('alicia')), ['p']);
      });

      test('deleteUser refuses while keys, inline policies or attachments remain, then deletes with the tags', async () => {
        await s.createUser(user('alice', { tags: [{ key: 'k', value: 'v' }] }));
        const owner = { accountId: A, userName: 'alice' };
        await s.createOwnedAccessKey(owner, newKey('AKIAALICE'), 2);
        await s.putInlinePolicy(u('alice'), { name: 'p', document: '{}' }, 2, 2048);
        await s.attachPolicy(u('alice'), AWS_RO, { awsManaged: true, max: 10 });
        assert.equal(await s.deleteUser(A, 'alice'), 'has-keys');
        assert.equal(await s.deleteOwnedAccessKey(owner, 'AKIAALICE'), 'ok');
        assert.equal(await s.deleteUser(A, 'alice'), 'has-inline');
        assert.equal(await s.deleteInlinePolicy(u('alice'), 'P'), 'ok');
        assert.equal(await s.deleteUser(A, 'alice'), 'has-attached');
        assert.equal(await s.detachPolicy(u('alice'), AWS_RO), 'ok');
        assert.equal(await s.deleteUser(A, 'ALICE'), 'ok');
        assert.equal(await s.deleteUser(A, 'alice'), 'missing');
        assert.deepEqual((await s.createUser(user('alice')))?.tags, [], 'a new user of the same name starts without tags');
      });
    });

    describe('access keys of users and the root', () => {
      test('createOwnedAccessKey allows `max` keys per owner, whatever their status', async () => {
        await s.createUser(user('alice'));
        const alice = { accountId: A, userName: 'alice' };
        assert.equal(await s.createOwnedAccessKey({ accountId: A, userName: 'bob' }, newKey('AKIABOB'), 2), 'no-owner');
        const k1 = await s.createOwnedAccessKey(alice, newKey('AKIA1', at(1)), 2);
        assert.deepEqual(k1, { accessKeyId: 'AKIA1', sealedSecret: 'sealed-AKIA1', principalArn: `arn:aws:iam::${A}:user/alice`, status: 'Active', createdAt: at(1), userName: 'alice' });
        await s.createOwnedAccessKey(alice, newKey('AKIA0', at(0)), 2);
        assert.equal(await s.setAccessKeyStatus(alice, 'AKIA1', 'Inactive'), 'ok');
        assert.equal(await s.createOwnedAccessKey(alice, newKey('AKIA3'), 2), 'limit');
        assert.equal(await s.getAccessKey('AKIA3'), undefined);
        assert.deepEqual((await s.listOwnedAccessKeys(alice) as AccessKeyRecord[]).map((k) => [k.accessKeyId, k.status]), [['AKIA0', 'Active'], ['AKIA1', 'Inactive']]);
        assert.equal(await s.listOwnedAccessKeys({ accountId: A, userName: 'bob' }), 'no-owner');
      });

      test("the root's keys are its own: a user's key is not the root's, nor another account's", async () => {
        await s.createUser(user('alice'));
        const root = { accountId: A };
        await s.putAccessKey(key('AKIAROOT'));
        await s.createOwnedAccessKey({ accountId: A, userName: 'alice' }, newKey('AKIAALICE'), 2);
        assert.equal((await s.createOwnedAccessKey(root, newKey('AKIAROOT2'), 2) as AccessKeyRecord).principalArn, ROOT);
        assert.equal(await s.createOwnedAccessKey(root, newKey('AKIAROOT3'), 2), 'limit');
        assert.deepEqual((await s.listOwnedAccessKeys(root) as AccessKeyRecord[]).map((k) => k.accessKeyId), ['AKIAROOT', 'AKIAROOT2']);
        assert.equal(await s.setAccessKeyStatus(root, 'AKIAALICE', 'Inactive'), 'missing');
        assert.equal(await s.deleteOwnedAccessKey({ accountId: A, userName: 'alice' }, 'AKIAROOT'), 'missing');
        assert.equal(await s.deleteOwnedAccessKey({ accountId: B }, 'AKIAROOT'), 'missing');
        assert.equal((await s.getAccessKey('AKIAROOT'))?.status, 'Active');
      });

      test('recordAccessKeyUse keeps the latest use', async () => {
        await s.putAccessKey(key('AKIAROOT'));
        await s.recordAccessKeyUse('AKIAROOT', { date: at(5), service: 'ecr', region: 'eu-west-1' });
        await s.recordAccessKeyUse('AKIAGONE', { date: at(5), service: 'ecr', region: 'eu-west-1' });
        assert.deepEqual((await s.getAccessKey('AKIAROOT'))?.lastUsed, { date: at(5), service: 'ecr', region: 'eu-west-1' });
      });
    });

    describe('roles', () => {
      test('createRole, get, update, trust policy, boundary and last use', async () => {
        const made = await s.createRole(role('ci', { path: '/svc/', description: 'builds', tags: [{ key: 't', value: '1' }] }));
        assert.equal(made?.arn, `arn:aws:iam::${A}:role/svc/ci`);
        assert.equal(made?.description, 'builds');
        assert.equal(await s.createRole(role('CI')), undefined);
        assert.equal(await s.updateRole(A, 'ci', { maxSessionDuration: 7200 }), true);
        assert.equal((await s.getRole(A, 'ci'))?.description, 'builds', 'an absent description stays');
        assert.equal(await s.updateRole(A, 'ci', { description: '' }), true);
        assert.equal(await s.setTrustPolicy(A, 'Ci', '{"new":1}'), true);
        assert.equal(await s.setRoleBoundary(A, 'ci', AWS_RO), true);
        await s.recordRoleUse(A, 'ci', { date: at(9), region: 'eu-west-1' });
        const got = (await s.getRole(A, 'ci'))!;
        const { description: _cleared, ...before } = made!;
        assert.deepEqual(got, {
          ...before, maxSessionDuration: 7200, trustPolicy: '{"new":1}', permissionsBoundary: AWS_RO, lastUsed: { date: at(9), region: 'eu-west-1' },
        });
        assert.equal(await s.updateRole(A, 'nope', { description: 'x' }), false);
        assert.equal(await s.setTrustPolicy(A, 'nope', '{}'), false);
        assert.equal(await s.getRole(A, 'nope'), undefined);
      });

      test('listRoles in name order with paging', async () => {
        for (const n of ['b', 'A', 'c']) await s.createRole(role(n));
        assert.deepEqual((await s.listRoles(A, { limit: 2 })).map((x) => x.name), ['A', 'b']);
        assert.deepEqual((await s.listRoles(A, { limit: 2, after: 'b' })).map((x) => x.name), ['c']);
      });

      test('deleteRole refuses while inline policies or attachments remain', async () => {
        await s.createRole(role('ci'));
        await s.createPolicy(policy('mine'));
        const arn = `arn:aws:iam::${A}:policy/mine`;
        await s.putInlinePolicy(r('ci'), { name: 'p', document: '{}' }, 2, 10240);
        assert.equal(await s.attachPolicy(r('ci'), arn, { awsManaged: false, max: 10 }), 'ok');
        assert.equal(await s.deleteRole(A, 'ci'), 'has-inline');
        await s.deleteInlinePolicy(r('ci'), 'p');
        assert.equal(await s.deleteRole(A, 'ci'), 'has-attached');
        await s.detachPolicy(r('ci'), arn);
        assert.equal(await s.deleteRole(A, 'ci'), 'ok');
        assert.equal(await s.deleteRole(A, 'ci'), 'missing');
      });
    });

    describe('managed policies and versions', () => {
      const arn = `arn:aws:iam::${A}:policy/team/mine`;
      test('createPolicy makes v1 the default; names are unique per account whatever the path', async () => {
        const made = await s.createPolicy(policy('mine', { path: '/team/', description: 'd', tags: [{ key: 'k', value: 'v' }] }));
        assert.deepEqual(made && { ...made, id: undefined }, {
          accountId: A, name: 'mine', path: '/team/', id: undefined, arn, description: 'd', defaultVersionId: 'v1', attachmentCount: 0,
          createdAt: T0, updatedAt: T0, tags: [{ key: 'k', value: 'v' }],
        });
        assert.equal(await s.createPolicy(policy('MINE', { path: '/other/' })), undefined);
        assert.deepEqual(await s.getPolicyVersion(arn, 'v1'), { versionId: 'v1', document: '{"v":1}', createdAt: T0, isDefault: true });
        assert.equal(await s.getPolicy(`arn:aws:iam::${A}:policy/mine`), undefined, 'the ARN includes the path');
      });

      test('at most `max` versions; numbers are never reused; SetAsDefault moves the default and updatedAt', async () => {
        await s.createPolicy(policy('mine', { path: '/team/' }));
        for (let i = 2; i <= 5; i++) {
          const v = await s.createPolicyVersion(arn, `{"v":${i}}`, i === 3, at(i), 5);
          assert.deepEqual(v, { versionId: `v${i}`, document: `{"v":${i}}`, createdAt: at(i), isDefault: i === 3 });
        }
        assert.equal(await s.createPolicyVersion(arn, '{}', false, at(6), 5), 'limit');
        const p = (await s.getPolicy(arn))!;
        assert.equal(p.defaultVersionId, 'v3');
        assert.deepEqual(p.updatedAt, at(3));
        assert.deepEqual((await s.listPolicyVersions(arn) as { versionId: string }[]).map((v) => v.versionId), ['v5', 'v4', 'v3', 'v2', 'v1']);
        assert.equal(await s.deletePolicyVersion(arn, 'v3'), 'default');
        assert.equal(await s.deletePolicyVersion(arn, 'v5'), 'ok');
        assert.equal(await s.deletePolicyVersion(arn, 'v5'), 'no-version');
        assert.equal((await s.createPolicyVersion(arn, '{}', false, at(7), 5) as { versionId: string }).versionId, 'v6');
        assert.equal(await s.setDefaultPolicyVersion(arn, 'v6', at(8)), 'ok');
        assert.equal(await s.setDefaultPolicyVersion(arn, 'v9', at(8)), 'no-version');
        assert.equal(await s.setDefaultPolicyVersion(arn, 'bogus', at(8)), 'no-version');
        assert.equal((await s.getPolicyVersion(arn, 'v3') as { isDefault: boolean }).isDefault, false);
        assert.deepEqual((await s.getPolicy(arn))?.updatedAt, at(8));
        assert.equal(await s.getPolicyVersion(arn, 'v5'), 'no-version');
        const none = `arn:aws:iam::${A}:policy/none`;
        assert.equal(await s.getPolicyVersion(none, 'v1'), 'missing');
        assert.equal(await s.createPolicyVersion(none, '{}', true, T0, 5), 'missing');
        assert.equal(await s.listPolicyVersions(none), 'missing');
        assert.equal(await s.deletePolicyVersion(none, 'v1'), 'missing');
      });

      test('deletePolicy refuses while attached or with other versions; counts attachments', async () => {
        await s.createPolicy(policy('mine', { path: '/team/' }));
        await s.createUser(user('alice'));
        await s.createRole(role('ci'));
        await s.attachPolicy(u('alice'), arn, { awsManaged: false, max: 10 });
        await s.attachPolicy(r('ci'), arn, { awsManaged: false, max: 10 });
        assert.equal((await s.getPolicy(arn))?.attachmentCount, 2);
        assert.deepEqual((await s.listPolicies(A, { limit: 10, onlyAttached: true })).map((p) => p.name), ['mine']);
        assert.equal(await s.deletePolicy(arn), 'attached');
        await s.detachPolicy(u('alice'), arn);
        await s.detachPolicy(r('ci'), arn);
        assert.deepEqual(await s.listPolicies(A, { limit: 10, onlyAttached: true }), []);
        await s.createPolicyVersion(arn, '{}', false, at(1), 5);
        assert.equal(await s.deletePolicy(arn), 'has-versions');
        await s.deletePolicyVersion(arn, 'v2');
        assert.equal(await s.deletePolicy(arn), 'ok');
        assert.equal(await s.getPolicy(arn), undefined);
        assert.equal(await s.deletePolicy(arn), 'missing');
      });
    });

    describe('inline policies and attachments', () => {
      test('putInlinePolicy replaces by name and caps the total size of the owner\'s inline policies', async () => {
        await s.createUser(user('alice'));
        assert.equal(await s.putInlinePolicy(u('alice'), { name: 'a', document: 'A' }, 1000, 2048), 'ok');
        assert.equal(await s.putInlinePolicy(u('alice'), { name: 'b', document: 'B' }, 1049, 2048), 'limit');
        assert.equal(await s.putInlinePolicy(u('alice'), { name: 'b', document: 'B' }, 1048, 2048), 'ok');
        assert.equal(await s.putInlinePolicy(u('alice'), { name: 'A', document: 'A2' }, 1000, 2048), 'ok', 'a replacement counts once');
        assert.deepEqual(await s.getInlinePolicy(u('alice'), 'a'), { name: 'A', document: 'A2' });
        assert.deepEqual(await s.listInlinePolicies(u('alice')), ['A', 'b']);
        assert.equal(await s.getInlinePolicy(u('alice'), 'zzz'), 'missing');
        assert.equal(await s.getInlinePolicy(u('bob'), 'a'), 'no-owner');
        assert.equal(await s.putInlinePolicy(r('alice'), { name: 'a', document: 'A' }, 1, 2048), 'no-owner', 'a user is not a role');
        assert.equal(await s.deleteInlinePolicy(u('alice'), 'zzz'), 'missing');
        assert.equal(await s.deleteInlinePolicy(u('bob'), 'a'), 'no-owner');
        assert.equal(await s.listInlinePolicies(u('bob')), 'no-owner');
      });

      test('attachPolicy: customer policies must exist, AWS-managed are taken; idempotent; capped; in attach order', async () => {
        await s.createRole(role('ci'));
        for (const n of ['p1', 'p2']) await s.createPolicy(policy(n));
        const p = (n: string) => `arn:aws:iam::${A}:policy/${n}`;
        assert.equal(await s.attachPolicy(r('ci'), p('nope'), { awsManaged: false, max: 3 }), 'no-policy');
        assert.equal(await s.attachPolicy(r('ci'), p('p2'), { awsManaged: false, max: 3 }), 'ok');
        assert.equal(await s.attachPolicy(r('ci'), AWS_RO, { awsManaged: true, max: 3 }), 'ok');
        assert.equal(await s.attachPolicy(r('ci'), p('p2'), { awsManaged: false, max: 2 }), 'ok', 'already attached');
        assert.equal(await s.attachPolicy(r('ci'), p('p1'), { awsManaged: false, max: 2 }), 'limit');
        assert.equal(await s.attachPolicy(r('ci'), p('p1'), { awsManaged: false, max: 3 }), 'ok');
        assert.deepEqual(await s.listAttachedPolicies(r('ci')), [p('p2'), AWS_RO, p('p1')]);
        assert.equal(await s.detachPolicy(r('ci'), p('nope')), 'not-attached');
        assert.equal(await s.attachPolicy(r('nobody'), AWS_RO, { awsManaged: true, max: 3 }), 'no-owner');
        assert.equal(await s.detachPolicy(u('ci'), AWS_RO), 'no-owner');
      });

      test('awsManagedAttachments counts the account\'s users and roles per AWS-managed policy, not other accounts\' nor customer policies', async () => {
        const AWS_PO = 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly';
        await s.createUser(user('alice'));
        await s.createRole(role('ci'));
        await s.createUser(user('alice', { accountId: B }));
        await s.createPolicy(policy('mine'));
        assert.deepEqual(await s.awsManagedAttachments(A), new Map());
        await s.attachPolicy(u('alice'), AWS_RO, { awsManaged: true, max: 10 });
        await s.attachPolicy(r('ci'), AWS_RO, { awsManaged: true, max: 10 });
        await s.attachPolicy(r('ci'), AWS_PO, { awsManaged: true, max: 10 });
        await s.attachPolicy(r('ci'), `arn:aws:iam::${A}:policy/mine`, { awsManaged: false, max: 10 });
        await s.attachPolicy(u('alice', B), AWS_PO, { awsManaged: true, max: 10 });
        assert.deepEqual(await s.awsManagedAttachments(A), new Map([[AWS_RO, 2], [AWS_PO, 1]]));
        assert.deepEqual(await s.awsManagedAttachments(B), new Map([[AWS_PO, 1]]));
        await s.detachPolicy(u('alice'), AWS_RO);
        assert.deepEqual(await s.awsManagedAttachments(A), new Map([[AWS_RO, 1], [AWS_PO, 1]]));
      });

      test('principalPolicies returns inline texts, default versions of attached policies and the boundary', async () => {
        await s.createRole(role('ci', { permissionsBoundary: AWS_RO }));
        await s.createPolicy(policy('mine'));
        const mine = `arn:aws:iam::${A}:policy/mine`;
        await s.createPolicyVersion(mine, '{"v":2}', true, at(1), 5);
        await s.attachPolicy(r('ci'), mine, { awsManaged: false, max: 10 });
        await s.attachPolicy(r('ci'), AWS_RO, { awsManaged: true, max: 10 });
        await s.putInlinePolicy(r('ci'), { name: 'in', document: '{"inline":1}' }, 12, 10240);
        assert.deepEqual(await s.principalPolicies(r('ci')), {
          inline: [{ name: 'in', document: '{"inline":1}' }], managed: [{ arn: mine, document: '{"v":2}' }], awsManaged: [AWS_RO], permissionsBoundary: AWS_RO,
        });
        assert.equal(await s.principalPolicies(r('nobody')), 'no-owner');
      });
    });

    describe('OIDC providers', () => {
      const arn = `arn:aws:iam::${A}:oidc-provider/token.actions.githubusercontent.com`;
      const gh = { accountId: A, arn, url: 'https://token.actions.githubusercontent.com', clientIds: ['sts.amazonaws.com'], thumbprints: [], createdAt: T0, tags: [] };
      test('create once; found by ARN and by URL with or without scheme and trailing slash', async () => {
        assert.deepEqual(await s.createOidcProvider({ ...gh, jwks: '{"keys":[]}' }), { ...gh, jwks: '{"keys":[]}' });
        assert.equal(await s.createOidcProvider(gh), undefined);
        assert.equal((await s.findOidcProvider(A, 'https://token.actions.githubusercontent.com/'))?.arn, arn);
        assert.equal((await s.findOidcProvider(A, 'token.actions.githubusercontent.com'))?.arn, arn);
        assert.equal(await s.findOidcProvider(B, 'https://token.actions.githubusercontent.com'), undefined);
        assert.equal(await s.findOidcProvider(A, 'https://example.com'), undefined);
        assert.deepEqual((await s.listOidcProviders(A)).map((p) => p.arn), [arn]);
      });

      test('client ids are added once, capped, removed; thumbprints and JWKS replaced; delete', async () => {
        await s.createOidcProvider(gh);
        assert.equal(await s.addOidcClientId(arn, 'a', 2), 'ok');
        assert.equal(await s.addOidcClientId(arn, 'a', 2), 'ok', 'already there');
        assert.equal(await s.addOidcClientId(arn, 'b', 2), 'limit');
        assert.equal(await s.removeOidcClientId(arn, 'sts.amazonaws.com'), 'ok');
        assert.equal(await s.removeOidcClientId(arn, 'absent'), 'ok');
        assert.equal(await s.setOidcThumbprints(arn, ['f'.repeat(40)]), true);
        assert.equal(await s.setOidcJwks(arn, { jwksFile: '/etc/jwks.json' }), true);
        const got = (await s.getOidcProvider(arn))!;
        assert.deepEqual([got.clientIds, got.thumbprints, got.jwks, got.jwksFile], [['a'], ['f'.repeat(40)], undefined, '/etc/jwks.json']);
        const gone = `${arn}x`;
        assert.equal(await s.addOidcClientId(gone, 'a', 3), 'missing');
        assert.equal(await s.removeOidcClientId(gone, 'a'), 'missing');
        assert.equal(await s.setOidcThumbprints(gone, []), false);
        assert.equal(await s.setOidcJwks(gone, {}), false);
        assert.equal(await s.deleteOidcProvider(arn), true);
        assert.equal(await s.deleteOidcProvider(arn), false);
        assert.equal(await s.getOidcProvider(arn), undefined);
      });
    });

    describe('tags', () => {
      test('tagResource keeps first-given order, replaces a key (any case) in place, caps the count', async () => {
        await s.createUser(user('alice', { tags: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] }));
        const ref = { kind: 'user', accountId: A, name: 'alice' } as const;
        assert.equal(await s.tagResource(ref, [{ key: 'A', value: 'x' }, { key: 'c', value: '3' }], 3), 'ok');
        assert.deepEqual(await s.listTags(ref), [{ key: 'A', value: 'x' }, { key: 'b', value: '2' }, { key: 'c', value: '3' }]);
        assert.equal(await s.tagResource(ref, [{ key: 'd', value: '4' }, { key: 'b', value: '9' }], 3), 'limit');
        assert.deepEqual((await s.listTags(ref) as unknown[]).length, 3, 'nothing changed');
        assert.equal(await s.tagResource(ref, [{ key: 'b', value: '9' }], 3), 'ok', 'a replacement does not count');
        assert.equal(await s.untagResource(ref, ['B', 'zzz']), 'ok');
        assert.deepEqual(await s.listTags(ref), [{ key: 'A', value: 'x' }, { key: 'c', value: '3' }]);
        assert.equal(await s.tagResource(ref, [{ key: 'b', value: 'again' }], 3), 'ok');
        assert.deepEqual((await s.listTags(ref) as { key: string }[]).map((t) => t.key), ['A', 'c', 'b'], 'a re-added key goes last');
      });

      test('every taggable kind; a missing resource answers missing', async () => {
        await s.createRole(role('ci'));
        await s.createPolicy(policy('mine'));
        const providerArn = `arn:aws:iam::${A}:oidc-provider/example.com`;
        await s.createOidcProvider({ accountId: A, arn: providerArn, url: 'https://example.com', clientIds: [], thumbprints: [], createdAt: T0, tags: [] });
        const refs = [
          { kind: 'role', accountId: A, name: 'ci' }, { kind: 'policy', arn: `arn:aws:iam::${A}:policy/mine` }, { kind: 'oidc-provider', arn: providerArn },
        ] as const;
        for (const ref of refs) {
          assert.equal(await s.tagResource(ref, [{ key: 'k', value: ref.kind }], 50), 'ok');
          assert.deepEqual(await s.listTags(ref), [{ key: 'k', value: ref.kind }]);
        }
        assert.deepEqual((await s.getRole(A, 'ci'))?.tags, [{ key: 'k', value: 'role' }]);
        assert.deepEqual((await s.getOidcProvider(providerArn))?.tags, [{ key: 'k', value: 'oidc-provider' }]);
        for (const ref of [{ kind: 'user', accountId: A, name: 'ci' }, { kind: 'policy', arn: 'arn:aws:iam::aws:policy/X' }] as const) {
          assert.equal(await s.tagResource(ref, [{ key: 'k', value: 'v' }], 50), 'missing');
          assert.equal(await s.untagResource(ref, ['k']), 'missing');
          assert.equal(await s.listTags(ref), 'missing');
        }
      });
    });

    describe('accounts are isolated', () => {
      test('the same names live in two accounts independently; lists and lookups see only their own', async () => {
        await s.createUser(user('alice'));
        assert.ok(await s.createUser(user('alice', { accountId: B })), 'the same name in another account');
        await s.createRole(role('ci'));
        await s.createPolicy(policy('mine'));
        assert.ok(await s.createPolicy(policy('mine', { accountId: B })));
        assert.equal(await s.getRole(B, 'ci'), undefined);
        assert.deepEqual((await s.listUsers(B, { limit: 10 })).map((x) => x.arn), [`arn:aws:iam::${B}:user/alice`]);
        assert.deepEqual(await s.listRoles(B, { limit: 10 }), []);
        assert.deepEqual((await s.listPolicies(B, { limit: 10 })).map((x) => x.accountId), [B]);
        await s.putInlinePolicy(u('alice'), { name: 'p', document: '{}' }, 2, 2048);
        assert.deepEqual(await s.listInlinePolicies(u('alice', B)), []);
        assert.equal(await s.createOwnedAccessKey({ accountId: B, userName: 'alice' }, newKey('AKIAB1'), 2) !== 'no-owner', true);
        assert.deepEqual(await s.listOwnedAccessKeys({ accountId: A, userName: 'alice' }), []);
        assert.equal(await s.deleteUser(A, 'alice'), 'has-inline');
        assert.equal(await s.deleteUser(B, 'alice'), 'has-keys');
        assert.equal(await s.tagResource({ kind: 'role', accountId: B, name: 'ci' }, [{ key: 'k', value: 'v' }], 50), 'missing');
        assert.equal(await s.attachPolicy(u('alice', B), AWS_RO, { awsManaged: true, max: 10 }), 'ok');
        assert.deepEqual(await s.listAttachedPolicies(u('alice')), []);
      });
    });
  });
}
