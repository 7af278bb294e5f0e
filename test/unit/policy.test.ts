// IAM policy documents as ECR accepts them: the grammar of repository and registry policies, the
// V1 registry scope, and the lock-out rule SetRepositoryPolicy applies unless forced.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { actionMatches, parsePolicy, PolicyError, wouldLockOut, type PolicyKind } from '../../src/domain/aws/policy.ts';

const ACCOUNT = '123456789012';
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;

const repoStatement = (extra: Record<string, unknown> = {}) => ({
  Sid: 'new statement', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::012345678901:role/CodeDeployDemo' },
  Action: ['ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage', 'ecr:BatchCheckLayerAvailability'], ...extra,
});
const registryStatement = (extra: Record<string, unknown> = {}) => ({
  Sid: 'ReplicationAccessCrossAccount', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::210987654321:root' },
  Action: ['ecr:CreateRepository', 'ecr:ReplicateImage'], Resource: [`arn:aws:ecr:us-west-2:${ACCOUNT}:repository/*`], ...extra,
});
const doc = (statement: unknown, version = '2012-10-17') => JSON.stringify({ Version: version, Statement: statement });

function rejects(text: string, kind: PolicyKind, why: RegExp, scope: 'V1' | 'V2' = 'V2') {
  assert.throws(() => parsePolicy(text, kind, scope), (e: unknown) => e instanceof PolicyError && why.test(e.message));
}

describe('repository policies', () => {
  test("accepts the ECR model's example policy (Version 2008-10-17, Sid with a space)", () => {
    const d = parsePolicy(doc([repoStatement()], '2008-10-17'), 'repository');
    assert.equal(d.Statement.length, 1);
    assert.equal(d.Statement[0].Effect, 'Allow');
  });

  test('accepts a single statement object, duplicate Sids, NotPrincipal, NotAction, "*" principals and conditions', () => {
    parsePolicy(doc(repoStatement()), 'repository');
    parsePolicy(doc([repoStatement(), repoStatement({ Effect: 'Deny' })]), 'repository');
    parsePolicy(doc([{ Effect: 'Deny', NotPrincipal: { AWS: [ROOT, ACCOUNT] }, NotAction: 'ecr:Describe*' }]), 'repository');
    parsePolicy(doc([{ Effect: 'Allow', Principal: '*', Action: 'ecr:*', Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123' } } }]), 'repository');
    parsePolicy(doc([{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: ['ecr:BatchGetImage'],
      Condition: { 'ForAnyValue:StringLike': { 'aws:sourceArn': ['arn:aws:lambda:us-east-1:123456789012:function:*'] }, BoolIfExists: { 'aws:SecureTransport': true } } }]), 'repository');
    parsePolicy(doc([{ Effect: 'Allow', Principal: { AWS: ['arn:aws:sts::123456789012:assumed-role/Deployer/session', 'AROAEXAMPLEID1234567'] }, Action: '*' }]), 'repository');
  });

  test('rejects a Resource element (a repository policy is about its own repository)', () => {
    rejects(doc([repoStatement({ Resource: '*' })]), 'repository', /no Resource/);
    rejects(doc([repoStatement({ NotResource: '*' })]), 'repository', /no Resource/);
  });

  test('requires a Principal or NotPrincipal, but not both', () => {
    const { Principal: _, ...noPrincipal } = repoStatement();
    rejects(doc([noPrincipal]), 'repository', /Principal and NotPrincipal/);
    rejects(doc([repoStatement({ NotPrincipal: '*' })]), 'repository', /Principal and NotPrincipal/);
  });

  test('requires an Action or NotAction, but not both', () => {
    const { Action: _, ...noAction } = repoStatement();
    rejects(doc([noAction]), 'repository', /Action and NotAction/);
    rejects(doc([repoStatement({ NotAction: 'ecr:*' })]), 'repository', /Action and NotAction/);
  });

  const BAD: Array<[string, string, RegExp]> = [
    ['text that is not JSON', '{"Version": ', /not valid JSON/],
    ['an empty text', '', /not valid JSON/],
    ['a JSON array', '[]', /JSON object/],
    ['a JSON string', '"policy"', /JSON object/],
    ['no Version', JSON.stringify({ Statement: [repoStatement()] }), /Version/],
    ['an unknown Version', doc([repoStatement()], '2020-01-01'), /Version/],
    ['no Statement', JSON.stringify({ Version: '2012-10-17' }), /Statement/],
    ['an empty Statement list', doc([]), /Statement/],
    ['a Statement that is a string', doc('allow all'), /Statement/],
    ['an unknown top-level element', JSON.stringify({ Version: '2012-10-17', Statement: [repoStatement()], Extra: 1 }), /unknown top-level/],
    ['an unknown statement element', doc([repoStatement({ Actions: ['ecr:*'] })]), /unknown element 'Actions'/],
    ['Effect "allow" (case matters)', doc([repoStatement({ Effect: 'allow' })]), /Effect/],
    ['no Effect', doc([{ Principal: '*', Action: 'ecr:*' }]), /Effect/],
    ['a Sid that is not a string', doc([repoStatement({ Sid: 3 })]), /Sid/],
    ['an empty Action list', doc([repoStatement({ Action: [] })]), /Action/],
    ['an Action without a service prefix', doc([repoStatement({ Action: 'GetDownloadUrlForLayer' })]), /invalid entry/],
    ['a principal ARN with a wildcard account part', doc([repoStatement({ Principal: { AWS: 'arn:aws:iam::123456789012:*' } })]), /invalid entry/],
    ['an unknown principal type', doc([repoStatement({ Principal: { Users: 'bob' } })]), /principal type/],
    ['an empty principal object', doc([repoStatement({ Principal: {} })]), /Principal/],
    ['an unknown condition operator', doc([repoStatement({ Condition: { StringMatches: { 'aws:username': 'x' } } })]), /operator/],
    ['a condition without keys', doc([repoStatement({ Condition: { StringEquals: {} } })]), /non-empty object/],
    ['a condition value that is an object', doc([repoStatement({ Condition: { StringEquals: { 'aws:username': { a: 1 } } } })]), /values/],
  ];
  for (const [why, text, re] of BAD) test(`rejects ${why}`, () => rejects(text, 'repository', re));
});

describe('registry policies', () => {
  test("accepts the replication example from ECR's docs (Principal, Action and Resource)", () => {
    parsePolicy(doc([registryStatement()]), 'registry', 'V2');
    parsePolicy(doc([registryStatement()]), 'registry', 'V1');
  });

  test('V2 accepts any ecr: action; V1 only ReplicateImage, BatchImportUpstreamImage and CreateRepository', () => {
    const pull = doc([registryStatement({ Action: ['ecr:BatchGetImage', 'ecr:*'] })]);
    parsePolicy(pull, 'registry', 'V2');
    rejects(pull, 'registry', /V1 only/, 'V1');
    parsePolicy(doc([registryStatement({ Action: 'ecr:batchimportupstreamimage' })]), 'registry', 'V1');
  });

  test('requires a Resource, names only ecr: actions and takes no NotAction', () => {
    const { Resource: _, ...noResource } = registryStatement();
    rejects(doc([noResource]), 'registry', /Resource and NotResource/);
    rejects(doc([registryStatement({ Action: 's3:GetObject' })]), 'registry', /only name ecr: actions/);
    rejects(doc([registryStatement({ Action: undefined, NotAction: 'ecr:DeleteRepository' })]), 'registry', /NotAction/);
    rejects(doc([registryStatement({ Resource: 'arn:aws:s3:::bucket' })]), 'registry', /invalid entry/);
  });

  test('requires a Principal, like every resource-based policy', () => {
    const { Principal: _, ...noPrincipal } = registryStatement();
    rejects(doc([noPrincipal]), 'registry', /Principal/);
  });
});

describe('lock-out check', () => {
  const caller = `arn:aws:iam::${ACCOUNT}:user/alice`;
  const lock = (st: Record<string, unknown>) => wouldLockOut(parsePolicy(doc([st]), 'repository'), caller, ACCOUNT);

  test('an unconditional Deny of ecr:SetRepositoryPolicy (or a wildcard covering it) to the caller locks out', () => {
    assert.equal(lock({ Effect: 'Deny', Principal: '*', Action: 'ecr:SetRepositoryPolicy' }), true);
    assert.equal(lock({ Effect: 'Deny', Principal: { AWS: caller }, Action: 'ecr:*' }), true);
    assert.equal(lock({ Effect: 'Deny', Principal: { AWS: ACCOUNT }, Action: 'ecr:Set*' }), true);
    assert.equal(lock({ Effect: 'Deny', Principal: { AWS: ROOT }, Action: '*' }), true);
    assert.equal(lock({ Effect: 'Deny', Principal: '*', NotAction: 'ecr:BatchGetImage' }), true);
    assert.equal(lock({ Effect: 'Deny', NotPrincipal: { AWS: 'arn:aws:iam::123456789012:user/bob' }, Action: 'ecr:*' }), true);
  });

  test('allows, conditional denies, denies of other actions and denies to other principals do not', () => {
    assert.equal(lock({ Effect: 'Allow', Principal: '*', Action: 'ecr:*' }), false);
    assert.equal(lock({ Effect: 'Deny', Principal: '*', Action: 'ecr:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }), false);
    assert.equal(lock({ Effect: 'Deny', Principal: '*', Action: 'ecr:DeleteRepository' }), false);
    assert.equal(lock({ Effect: 'Deny', Principal: { AWS: 'arn:aws:iam::210987654321:root' }, Action: 'ecr:*' }), false);
    assert.equal(lock({ Effect: 'Deny', NotPrincipal: { AWS: caller }, Action: 'ecr:*' }), false);
    assert.equal(lock({ Effect: 'Deny', Principal: '*', NotAction: 'ecr:Set*' }), false);
  });

  test('action patterns match case-insensitively with * and ?', () => {
    assert.ok(actionMatches('ECR:setrepositorypolicy', 'ecr:SetRepositoryPolicy'));
    assert.ok(actionMatches('ecr:Set?epositoryPolicy', 'ecr:SetRepositoryPolicy'));
    assert.ok(!actionMatches('ecr:Set', 'ecr:SetRepositoryPolicy'));
    assert.ok(!actionMatches('ecr.SetRepositoryPolicy', 'ecr:SetRepositoryPolicy'), 'a dot is literal');
  });
});
