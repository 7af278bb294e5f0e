// The policy simulator over real stores (SQLite, IAM records): allowed, explicitDeny naming the Deny's
// policy, Sid and place, implicitDeny, missing context keys, context entries that flip a decision,
// boundaries, resource policies with CallerArn, AWS's own example answer, IAM's errors, paging by
// window, the context keys policies name; and that every decision on a stored principal is the one
// the enforcing authorizer makes for the same request.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildServices, openStores, type Stores } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import { WharfError } from '../../src/domain/errors.ts';
import type { TextPosition } from '../../src/domain/aws/policy-positions.ts';
import type { Services } from '../../src/http/services.ts';
import { userPrincipal } from '../../src/services/identity.ts';
import { PolicySimulator, type SimulationRequest, type SimulationResult } from '../../src/services/iam/simulate.ts';

const A = '123456789012';
const B = '210987654321';
const REGION = 'eu-west-1';
const RO = 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly';
const repoArn = (name: string, account = A) => `arn:aws:ecr:${REGION}:${account}:repository/${name}`;
const userArn = (name: string, account = A) => `arn:aws:iam::${account}:user/${name}`;
const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement }, null, 2);
const ALL = { start: 0, count: 1000 };
/** The aws CLI's documented simulate-custom-policy example (awscli examples/iam/simulate-custom-policy.rst). */
const AWS_EXAMPLE = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}';

/** The text between two positions (1-based lines and columns). */
function between(text: string, start: TextPosition, end: TextPosition): string {
  const lines = text.split('\n');
  const offset = (p: TextPosition) => lines.slice(0, p.line - 1).reduce((n, l) => n + l.length + 1, 0) + p.column - 1;
  return text.slice(offset(start), offset(end));
}

async function fails(p: Promise<unknown> | (() => unknown), query: string, message: string | RegExp): Promise<void> {
  const run = typeof p === 'function' ? async () => p() : () => p;
  await assert.rejects(run, (e: unknown) => {
    assert.ok(e instanceof WharfError, String(e));
    assert.equal(e.spec.query, query);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

describe('the IAM policy simulator', () => {
  let dir: string;
  let stores: Stores;
  let s: Services;
  let sim: PolicySimulator;
  const GUARD = doc(
    { Sid: 'ReadAnything', Effect: 'Allow', Action: 'ecr:DescribeImages', Resource: '*' },
    { Sid: 'NoProdPulls', Effect: 'Deny', Action: 'ecr:BatchGetImage', Resource: `arn:aws:ecr:*:${A}:repository/prod/*` },
  );
  const CI_PUSH = doc(
    { Sid: 'PushFromCi', Effect: 'Allow', Action: ['ecr:PutImage', 'ecr:InitiateLayerUpload'], Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '10.1.0.0/16' } } },
    { Sid: 'TlsOnly', Effect: 'Deny', Action: 'ecr:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
  );

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-simulate-'));
    const config = loadConfig({ env: {}, flags: { dataDir: dir, accountId: A, region: REGION } });
    stores = await openStores(config);
    s = buildServices(config, stores);
    sim = new PolicySimulator(s.iam);
    await s.iam.createUser(A, { userName: 'reader', tags: [{ key: 'team', value: 'blue' }] });
    await s.iam.attachPolicy({ kind: 'user', accountId: A, name: 'reader' }, RO);
    await s.iam.putInlinePolicy({ kind: 'user', accountId: A, name: 'reader' }, 'guard', GUARD);
    await s.iam.createUser(A, { userName: 'pusher' });
    await s.iam.putInlinePolicy({ kind: 'user', accountId: A, name: 'pusher' }, 'ci-push', CI_PUSH);
  });
  after(async () => {
    await stores.meta.close();
    await stores.blobs.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const principal = (name: string, req: Partial<SimulationRequest> & { actionNames: string[] }) => sim.simulatePrincipalPolicy(A, userArn(name), req, ALL);
  /** What the enforcing authorizer decides for the stored user (no request facts). */
  const enforced = async (name: string, action: string, resource: string) => (await s.authz.decide(userPrincipal(await s.iam.getUser(A, name)), action, resource)).decision;
  const decisions = (results: readonly SimulationResult[]) => results.map((r) => [r.action, r.resource, r.decision]);

  test('allowed: the attached AWS-managed policy, named as IAM names it, with where its statement lies; implicitDeny reports no statement', async () => {
    const { results, total } = await principal('reader', { actionNames: ['ecr:BatchGetImage', 'ecr:PutImage'] });
    assert.equal(total, 2);
    assert.deepEqual(decisions(results), [['ecr:BatchGetImage', '*', 'Allow'], ['ecr:PutImage', '*', 'ImplicitDeny']]);
    const [allowed] = results[0].matched;
    assert.deepEqual([allowed.sourcePolicyId, allowed.sourcePolicyType, allowed.effect], ['AmazonEC2ContainerRegistryReadOnly', 'IAM Policy', 'Allow']);
    const text = (await s.iam.getPolicyVersion(A, RO, 'v1')).document;
    assert.deepEqual(JSON.parse(between(text, allowed.start!, allowed.end!)), JSON.parse(text).Statement[0], 'the positions cut out the statement');
    assert.deepEqual(results[1].matched, []);
    assert.deepEqual([await enforced('reader', 'ecr:BatchGetImage', '*'), await enforced('reader', 'ecr:PutImage', '*')], ['Allow', 'ImplicitDeny'], 'what the authorizer decides');
  });

  test('explicitDeny: the inline Deny is the only statement reported, with its policy (user_<user>_<policy>), its Sid and its place', async () => {
    const { results } = await principal('reader', { actionNames: ['ecr:BatchGetImage'], resourceArns: [repoArn('prod/app'), repoArn('dev/app')] });
    assert.deepEqual(decisions(results), [['ecr:BatchGetImage', repoArn('prod/app'), 'ExplicitDeny'], ['ecr:BatchGetImage', repoArn('dev/app'), 'Allow']]);
    assert.equal(results[0].matched.length, 1, 'the Allow of the managed policy is not reported beside the Deny');
    const [deny] = results[0].matched;
    assert.deepEqual([deny.sourcePolicyId, deny.sourcePolicyType, deny.sid, deny.effect], ['user_reader_guard', 'IAM Policy', 'NoProdPulls', 'Deny']);
    const piece = between(GUARD, deny.start!, deny.end!);
    assert.match(piece, /^,\s*\{\s*"Sid": "NoProdPulls"/, 'starts where the previous statement ended');
    assert.deepEqual(JSON.parse(piece.replace(/^,/, '')), JSON.parse(GUARD).Statement[1]);
    assert.equal(await enforced('reader', 'ecr:BatchGetImage', repoArn('prod/app')), 'ExplicitDeny');
    assert.equal(await enforced('reader', 'ecr:BatchGetImage', repoArn('dev/app')), 'Allow');
  });

  test('a condition key the context lacks is a MissingContextValue; context entries flip the decision both ways', async () => {
    const actions = ['ecr:PutImage'];
    const bare = (await principal('pusher', { actionNames: actions })).results[0];
    assert.deepEqual([bare.decision, bare.missingContextValues], ['ImplicitDeny', ['aws:SourceIp', 'aws:SecureTransport']]);
    const ip = (value: string, type = 'ip') => ({ name: 'aws:SourceIp', values: [value], type });
    const fromCi = (await principal('pusher', { actionNames: actions, contextEntries: [ip('10.1.2.3')] })).results[0];
    assert.deepEqual([fromCi.decision, fromCi.missingContextValues, fromCi.matched.map((m) => m.sid)], ['Allow', ['aws:SecureTransport'], ['PushFromCi']]);
    const elsewhere = (await principal('pusher', { actionNames: actions, contextEntries: [ip('192.0.2.1')] })).results[0];
    assert.equal(elsewhere.decision, 'ImplicitDeny');
    const plain = (await principal('pusher', { actionNames: actions, contextEntries: [ip('10.1.2.3'), { name: 'AWS:SecureTransport', values: ['false'], type: 'boolean' }] })).results[0];
    assert.deepEqual([plain.decision, plain.matched.map((m) => m.sid), plain.missingContextValues], ['ExplicitDeny', ['TlsOnly'], []]);
  });

  test('SimulateCustomPolicy answers the aws CLI\'s documented example to the column, and refuses the earlier date', async () => {
    const at = (date: string) => sim.simulateCustomPolicy(A, { policyInputList: [AWS_EXAMPLE], actionNames: ['dynamodb:CreateBackup'], contextEntries: [{ name: 'aws:CurrentTime', values: [date], type: 'date' }] }, ALL);
    const { results: [later] } = await at('2019-04-25T11:00:00Z');
    assert.deepEqual(later, {
      action: 'dynamodb:CreateBackup', resource: '*', decision: 'Allow', missingContextValues: [],
      matched: [{ sourcePolicyId: 'PolicyInputList.1', sourcePolicyType: 'IAM Policy', effect: 'Allow', start: { line: 1, column: 38 }, end: { line: 1, column: 167 } }],
    });
    const { results: [earlier] } = await at('2014-04-25T11:00:00Z');
    assert.deepEqual([earlier.decision, earlier.matched], ['ImplicitDeny', []]);
  });

  test('without a CallerArn a custom simulation has no principal: aws:PrincipalArn is missing; with one it is the caller', async () => {
    const policy = doc({ Effect: 'Allow', Action: 'ecr:*', Resource: '*', Condition: { ArnLike: { 'aws:PrincipalArn': userArn('*') } } });
    const none = (await sim.simulateCustomPolicy(A, { policyInputList: [policy], actionNames: ['ecr:ListImages'] }, ALL)).results[0];
    assert.deepEqual([none.decision, none.missingContextValues], ['ImplicitDeny', ['aws:PrincipalArn']]);
    const bob = (await sim.simulateCustomPolicy(A, { policyInputList: [policy], actionNames: ['ecr:ListImages'], callerArn: userArn('bob') }, ALL)).results[0];
    assert.equal(bob.decision, 'Allow');
  });

  test('a role is simulated as its sessions are decided: aws:PrincipalArn is the role; its inline policy is role_<role>_<policy>', async () => {
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: A }, Action: 'sts:AssumeRole' }] });
    const made = await s.iam.createRole(A, { roleName: 'deployer', path: '/ci/', assumeRolePolicyDocument: trust });
    await s.iam.putInlinePolicy({ kind: 'role', accountId: A, name: 'deployer' }, 'push', doc({ Effect: 'Allow', Action: 'ecr:PutImage', Resource: '*', Condition: { ArnEquals: { 'aws:PrincipalArn': made.arn } } }));
    const { results: [r] } = await sim.simulatePrincipalPolicy(A, made.arn, { actionNames: ['ecr:PutImage'] }, ALL);
    assert.deepEqual([r.decision, r.matched.map((m) => m.sourcePolicyId)], ['Allow', ['role_deployer_push']]);
    await fails(sim.simulatePrincipalPolicy(A, `arn:aws:iam::${A}:role/deployer`, { actionNames: ['ecr:PutImage'] }, ALL), 'NoSuchEntity', 'The role with name deployer cannot be found.');
  });

  test('permissions boundaries: the stored one takes part, PermissionsBoundaryPolicyInputList replaces it; AllowedByPermissionsBoundary says which', async () => {
    const made = await s.iam.createPolicy(A, { policyName: 'pull-only', policyDocument: doc({ Effect: 'Allow', Action: ['ecr:BatchGetImage', 'ecr:DescribeImages'], Resource: '*' }) });
    await s.iam.createUser(A, { userName: 'bounded', permissionsBoundary: made.arn });
    await s.iam.attachPolicy({ kind: 'user', accountId: A, name: 'bounded' }, 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser');
    const { results } = await principal('bounded', { actionNames: ['ecr:BatchGetImage', 'ecr:PutImage'] });
    assert.deepEqual(results.map((r) => [r.decision, r.allowedByPermissionsBoundary]), [['Allow', true], ['ImplicitDeny', false]]);
    assert.deepEqual(results[0].matched.map((m) => m.sourcePolicyId), ['AmazonEC2ContainerRegistryPowerUser', 'pull-only'], 'the boundary\'s Allow is reported beside the identity Allow');
    assert.equal(await enforced('bounded', 'ecr:PutImage', '*'), 'ImplicitDeny');
    const pushOnly = doc({ Effect: 'Allow', Action: 'ecr:PutImage', Resource: '*' });
    const replaced = (await principal('bounded', { actionNames: ['ecr:BatchGetImage', 'ecr:PutImage'], permissionsBoundaryPolicyInputList: [pushOnly] })).results;
    assert.deepEqual(replaced.map((r) => [r.decision, r.allowedByPermissionsBoundary]), [['ImplicitDeny', false], ['Allow', true]]);
    assert.equal(replaced[1].matched[1].sourcePolicyId, 'PermissionsBoundaryPolicyInputList.1');
  });

  test('a resource policy matches the CallerArn; across accounts both sides must allow; EvalDecisionDetails gives each side', async () => {
    const identity = doc({ Effect: 'Allow', Action: 'ecr:*', Resource: '*' });
    const repoPolicy = JSON.stringify({ Version: '2008-10-17', Statement: [{ Sid: 'PullByReader', Effect: 'Allow', Principal: { AWS: userArn('reader') }, Action: 'ecr:BatchGetImage' }] });
    const run = (callerArn: string) => sim.simulateCustomPolicy(A, { policyInputList: [identity], actionNames: ['ecr:BatchGetImage'], resourceArns: [repoArn('shared', B)], resourcePolicy: repoPolicy, callerArn }, ALL);
    const reader = (await run(userArn('reader'))).results[0];
    assert.deepEqual([reader.decision, reader.decisionDetails], ['Allow', { identity: 'Allow', resource: 'Allow' }]);
    assert.deepEqual(reader.matched.map((m) => [m.sourcePolicyId, m.sourcePolicyType]), [['PolicyInputList.1', 'IAM Policy'], ['ResourcePolicy', 'Resource Policy']]);
    const bob = (await run(userArn('bob'))).results[0];
    assert.deepEqual([bob.decision, bob.decisionDetails], ['ImplicitDeny', { identity: 'Allow', resource: 'ImplicitDeny' }]);
    // ResourceOwner decides for resources whose ARN names no account.
    const owned = await sim.simulateCustomPolicy(A, { policyInputList: [identity], actionNames: ['ecr:BatchGetImage'], resourcePolicy: repoPolicy, callerArn: userArn('bob'), resourceOwner: `arn:aws:iam::${B}:root` }, ALL);
    assert.equal(owned.results[0].decision, 'ImplicitDeny');
    const same = await sim.simulateCustomPolicy(A, { policyInputList: [identity], actionNames: ['ecr:BatchGetImage'], resourcePolicy: repoPolicy, callerArn: userArn('bob') }, ALL);
    assert.equal(same.results[0].decision, 'Allow', 'in its own account the identity Allow suffices');
    await fails(sim.simulateCustomPolicy(A, { policyInputList: [identity], actionNames: ['ecr:BatchGetImage'], resourcePolicy: repoPolicy }, ALL), 'InvalidInput', 'CallerArn is required with a ResourcePolicy.');
  });

  test('IAM\'s errors: MalformedPolicyDocument with IAM\'s texts, InvalidInput for context entries and ARNs, NoSuchEntity outside the caller\'s account', async () => {
    const custom = (extra: Partial<SimulationRequest>) => sim.simulateCustomPolicy(A, { policyInputList: [doc({ Effect: 'Allow', Action: '*', Resource: '*' })], actionNames: ['ecr:ListImages'], ...extra }, ALL);
    await fails(custom({ policyInputList: ['{"Version":"2012-10-17"}'] }), 'MalformedPolicyDocument', 'Syntax errors in policy.');
    await fails(custom({ policyInputList: [doc({ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' })] }), 'MalformedPolicyDocument', 'Policy document should not specify a principal.');
    await fails(custom({ resourcePolicy: doc({ Effect: 'Allow', Action: '*' }), callerArn: userArn('bob') }), 'MalformedPolicyDocument', 'Missing required field Principal.');
    await fails(custom({ contextEntries: [{ name: 'aws:SourceIp', values: ['10.0.0.1'], type: 'ipaddress' }] }), 'InvalidInput', /^The ContextKeyType ipaddress of context key aws:SourceIp is not one of string, stringList/);
    await fails(custom({ contextEntries: [{ name: 'aws:EpochTime', values: ['soon'], type: 'numeric' }] }), 'InvalidInput', 'The value soon of context key aws:EpochTime is not a valid numeric.');
    await fails(custom({ contextEntries: [{ name: 'aws:TagKeys', values: ['a', 'b'], type: 'string' }] }), 'InvalidInput', 'The context key aws:TagKeys of type string takes one value (stringList takes several).');
    await fails(custom({ permissionsBoundaryPolicyInputList: [doc({ Effect: 'Allow', Action: '*', Resource: '*' }), doc({ Effect: 'Allow', Action: '*', Resource: '*' })] }), 'InvalidInput', /^PermissionsBoundaryPolicyInputList takes one policy/);
    await fails(custom({ callerArn: `arn:aws:iam::${A}:role/deployer` }), 'InvalidInput', `CallerArn arn:aws:iam::${A}:role/deployer is not the ARN of an IAM user.`);
    await fails(custom({ actionNames: ['ec'] }), 'ValidationError', /Value 'ec' at 'actionNames.1.member' failed to satisfy constraint: Member must have length greater than or equal to 3/);
    await fails(principal('nobody', { actionNames: ['ecr:ListImages'] }), 'NoSuchEntity', 'The user with name nobody cannot be found.');
    await fails(sim.simulatePrincipalPolicy(A, userArn('reader', B), { actionNames: ['ecr:ListImages'] }, ALL), 'NoSuchEntity', 'The user with name reader cannot be found.');
    await fails(sim.simulatePrincipalPolicy(A, `arn:aws:iam::${A}:group/devs`, { actionNames: ['ecr:ListImages'] }, ALL), 'NoSuchEntity', 'The group with name devs cannot be found.');
    await fails(sim.simulatePrincipalPolicy(A, `arn:aws:iam::${A}:policy/pull-only`, { actionNames: ['ecr:ListImages'] }, ALL), 'InvalidInput', `ARN arn:aws:iam::${A}:policy/pull-only is not the ARN of a user, group or role.`);
  });

  test('only the window asked for is evaluated, action-major; total counts every action on every resource', async () => {
    const req = { actionNames: ['ecr:BatchGetImage', 'ecr:PutImage', 'ecr:ListImages'], resourceArns: [repoArn('prod/app'), repoArn('dev/app')] };
    const window = await sim.simulatePrincipalPolicy(A, userArn('reader'), req, { start: 2, count: 3 });
    assert.equal(window.total, 6);
    assert.deepEqual(window.results.map((r) => [r.action, r.resource]), [
      ['ecr:PutImage', repoArn('prod/app')], ['ecr:PutImage', repoArn('dev/app')], ['ecr:ListImages', repoArn('prod/app')],
    ]);
    assert.deepEqual((await sim.simulatePrincipalPolicy(A, userArn('reader'), req, { start: 6, count: 3 })).results, []);
  });

  test('the decision follows the store: once the Deny is gone the next simulation allows', async () => {
    await s.iam.putInlinePolicy({ kind: 'user', accountId: A, name: 'reader' }, 'guard', doc({ Effect: 'Allow', Action: 'ecr:DescribeImages', Resource: '*' }));
    const { results: [r] } = await principal('reader', { actionNames: ['ecr:BatchGetImage'], resourceArns: [repoArn('prod/app')] });
    assert.equal(r.decision, 'Allow');
    await s.iam.putInlinePolicy({ kind: 'user', accountId: A, name: 'reader' }, 'guard', GUARD);
  });

  test('context keys: the principal\'s policies (inline, attached, boundary) and extra ones; a custom policy\'s in AWS\'s example order', async () => {
    assert.deepEqual(await sim.contextKeysForPrincipalPolicy(A, userArn('pusher')), ['aws:SourceIp', 'aws:SecureTransport']);
    assert.deepEqual(await sim.contextKeysForPrincipalPolicy(A, userArn('pusher'), [doc({ Effect: 'Allow', Action: '*', Resource: 'arn:aws:ecr:*:*:repository/${aws:username}/*', Condition: { StringEquals: { 'aws:sourceip': 'x' } } })]),
      ['aws:SourceIp', 'aws:SecureTransport', 'aws:username']);
    assert.deepEqual(await sim.contextKeysForPrincipalPolicy(A, userArn('reader')), []);
    // awscli examples/iam/get-context-keys-for-custom-policy.rst
    const example = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2015-08-16T12:00:00Z"}}}}';
    assert.deepEqual(sim.contextKeysForCustomPolicy([example]), ['aws:username', 'aws:CurrentTime']);
    await fails(() => sim.contextKeysForCustomPolicy(['{']), 'MalformedPolicyDocument', 'Syntax errors in policy.');
  });
});
