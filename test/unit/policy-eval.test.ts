// The evaluator's rules one by one, where AWS's worked examples leave gaps: ARN segment matching,
// principal forms, cross-account sessions and root, trust policies, condition edge cases, the
// denial messages, matched statements and missing context keys.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { actionMatches } from '../../src/domain/aws/arn-match.ts';
import { cidrContains, parseCidr, parseDate, parseIp, parseNumber } from '../../src/domain/aws/condition-values.ts';
import { compilePolicy, denialMessage, evaluate, policiesDecision, type EvalRequest } from '../../src/domain/aws/policy-eval.ts';
import type { PolicyStatement } from '../../src/domain/aws/policy.ts';
import { ACCOUNT, allow, anonymous, deny, doc, OTHER, policy, repoArn, request, root, session, user } from '../helpers/iam.ts';

const decide = (extra: Partial<EvalRequest>) => evaluate(request(extra)).decision;
const withIdentity = (...statements: PolicyStatement[]) => [policy('p', ...statements)];
const repoPolicy = (...statements: PolicyStatement[]) => [policy('repo', ...statements)];

describe('Resource matching', () => {
  const allowOn = (resource: string) => withIdentity(allow({ Resource: resource }));
  test('the first five segments compare case-insensitively, the resource part case-sensitively', () => {
    assert.equal(decide({ identityPolicies: allowOn(`ARN:AWS:ECR:US-EAST-1:${ACCOUNT}:repository/app`) }), 'Allow');
    assert.equal(decide({ identityPolicies: allowOn(`arn:aws:ecr:us-east-1:${ACCOUNT}:repository/App`) }), 'ImplicitDeny');
    assert.equal(decide({ identityPolicies: allowOn(`arn:aws:ecr:us-east-1:${ACCOUNT}:Repository/app`) }), 'ImplicitDeny');
  });
  test('* in the resource part spans / and :, in the leading segments it stays inside its segment', () => {
    assert.equal(decide({ resource: repoArn('team/a/b'), identityPolicies: allowOn(`arn:aws:ecr:*:${ACCOUNT}:repository/team/*`) }), 'Allow');
    assert.equal(decide({ resource: `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/x:y`, identityPolicies: allowOn('arn:aws:ecr:*:*:repository/*') }), 'Allow');
    assert.equal(decide({ identityPolicies: allowOn('arn:aws:ecr:*:repository/app') }), 'ImplicitDeny', 'one * cannot stand for region and account');
    assert.equal(decide({ identityPolicies: allowOn('arn:aws:*') }), 'Allow', 'the last segment of a short pattern stands for the rest');
    assert.equal(decide({ identityPolicies: allowOn('arn:aws:s3:*') }), 'ImplicitDeny');
  });
  test('? matches exactly one character', () => {
    assert.equal(decide({ resource: repoArn('app1'), identityPolicies: allowOn(`arn:aws:ecr:us-east-?:${ACCOUNT}:repository/app?`) }), 'Allow');
    assert.equal(decide({ resource: repoArn('app12'), identityPolicies: allowOn(`arn:aws:ecr:us-east-1:${ACCOUNT}:repository/app?`) }), 'ImplicitDeny');
  });
  test('an action without a resource type is authorized on "*", which only Resource "*" covers', () => {
    assert.equal(decide({ action: 'ecr:GetAuthorizationToken', resource: '*', identityPolicies: allowOn('arn:aws:ecr:*:*:repository/*') }), 'ImplicitDeny');
    assert.equal(decide({ action: 'ecr:GetAuthorizationToken', resource: '*', identityPolicies: allowOn('*') }), 'Allow');
  });
  test('NotResource allows everything except the listed resources', () => {
    const p = withIdentity({ Effect: 'Allow', Action: 'ecr:*', NotResource: repoArn('secret') });
    assert.equal(decide({ identityPolicies: p }), 'Allow');
    assert.equal(decide({ resource: repoArn('secret'), identityPolicies: p }), 'ImplicitDeny');
  });
  test('a resource-policy statement without Resource is about the resource it is attached to', () => {
    assert.equal(decide({ resourcePolicies: repoPolicy({ Effect: 'Allow', Principal: { AWS: user().arn }, Action: 'ecr:BatchGetImage' }) }), 'Allow');
  });
});

describe('Action matching', () => {
  test('NotAction in an Allow grants every other action (on the statement\'s resources), not a deny', () => {
    const p = withIdentity({ Effect: 'Allow', NotAction: 'ecr:Delete*', Resource: '*' });
    assert.equal(decide({ identityPolicies: p }), 'Allow');
    assert.equal(decide({ action: 'ecr:DeleteRepository', identityPolicies: p }), 'ImplicitDeny');
  });
  test('NotAction in a Deny denies every other action', () => {
    const p = withIdentity(allow(), { Effect: 'Deny', NotAction: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], Resource: '*' });
    assert.equal(decide({ identityPolicies: p }), 'Allow');
    assert.equal(decide({ action: 'ecr:PutImage', identityPolicies: p }), 'ExplicitDeny');
  });
  test('wildcards, and regex characters in action names are literal', () => {
    assert.ok(actionMatches('ecr:*Image*', 'ecr:BatchGetImage'));
    assert.ok(actionMatches('ecr:Batch???Image', 'ecr:BatchGetImage'));
    assert.ok(!actionMatches('ecr:Batch.*', 'ecr:BatchGetImage'));
    assert.ok(!actionMatches('s3:*', 'ecr:BatchGetImage'));
  });
});

describe('principals and accounts', () => {
  const everything = withIdentity(allow());
  test('anonymous callers are allowed only by a resource policy with Principal "*"; identity policies do not apply to them', () => {
    assert.equal(decide({ principal: anonymous, identityPolicies: everything }), 'ImplicitDeny');
    assert.equal(decide({ principal: anonymous, resourcePolicies: repoPolicy({ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: '*' }) }), 'ImplicitDeny');
    assert.equal(decide({ principal: anonymous, resourcePolicies: repoPolicy({ Effect: 'Allow', Principal: '*', Action: 'ecr:BatchGetImage' }) }), 'Allow');
    assert.equal(decide({ principal: anonymous, resourcePolicies: repoPolicy({ Effect: 'Allow', Principal: '*', Action: '*' }, { Effect: 'Deny', Principal: '*', Action: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }), context: { 'aws:SecureTransport': false } }), 'ExplicitDeny');
  });
  test('the root user of the resource account may do anything, but a resource policy Deny still applies', () => {
    assert.deepEqual(evaluate(request({ principal: root() })).reason, 'root');
    assert.equal(decide({ principal: root(), resourcePolicies: repoPolicy({ Effect: 'Deny', Principal: { AWS: ACCOUNT }, Action: 'ecr:*' }) }), 'ExplicitDeny');
  });
  test('the root user of another account needs the resource policy to name its account', () => {
    assert.equal(decide({ principal: root(OTHER) }), 'ImplicitDeny');
    assert.equal(decide({ principal: root(OTHER), resourcePolicies: repoPolicy({ Effect: 'Allow', Principal: { AWS: OTHER }, Action: 'ecr:*' }) }), 'Allow');
  });
  test('cross-account role sessions: the resource policy may name the session, the role or the account; the identity side must allow too', () => {
    const s = session('ci', 's1', OTHER);
    for (const named of [s.sessionArn!, s.arn, OTHER, `arn:aws:iam::${OTHER}:root`]) {
      const rp = repoPolicy({ Effect: 'Allow', Principal: { AWS: named }, Action: 'ecr:BatchGetImage' });
      assert.equal(decide({ principal: s, resourcePolicies: rp }), 'ImplicitDeny', `${named} without identity policy`);
      assert.equal(decide({ principal: s, resourcePolicies: rp, identityPolicies: everything }), 'Allow', `${named} with identity policy`);
      assert.equal(decide({ principal: s, resourcePolicies: rp, identityPolicies: everything, sessionPolicies: [policy('s', allow({ Action: 's3:*' }))] }), 'ImplicitDeny', `${named} outside the session policy`);
    }
  });
  test('naming another session of the same role does not match', () => {
    const rp = repoPolicy({ Effect: 'Allow', Principal: { AWS: session('ci', 'other').sessionArn! }, Action: '*' });
    assert.equal(decide({ principal: session('ci', 's1'), resourcePolicies: rp }), 'ImplicitDeny');
  });
  test('Deny naming the account covers every principal of it', () => {
    const rp = repoPolicy({ Effect: 'Deny', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: '*' });
    assert.equal(decide({ principal: session(), identityPolicies: everything, resourcePolicies: rp }), 'ExplicitDeny');
    assert.equal(decide({ principal: user('bob', OTHER), identityPolicies: everything, resourcePolicies: rp }), 'ImplicitDeny');
  });
  test('Federated principals in a trust policy match the web-identity caller of that provider', () => {
    const provider = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
    const trust = repoPolicy({ Effect: 'Allow', Principal: { Federated: provider }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/*' } } });
    const req = (sub: string, arn = provider) => decide({ principal: { arn, accountId: ACCOUNT, kind: 'federated' }, action: 'sts:AssumeRoleWithWebIdentity', resource: `arn:aws:iam::${ACCOUNT}:role/gha`,
      resourcePolicyKind: 'trust', resourcePolicies: trust, context: { 'token.actions.githubusercontent.com:sub': sub } });
    assert.equal(req('repo:acme/app:ref:refs/heads/main'), 'Allow');
    assert.equal(req('repo:evil/app:ref:refs/heads/main'), 'ImplicitDeny');
    assert.equal(req('repo:acme/app', `arn:aws:iam::${ACCOUNT}:oidc-provider/gitlab.com`), 'ImplicitDeny');
  });
  test('trust policies: naming the account delegates to the caller\'s identity policies; cross account needs both sides', () => {
    const assume = (principal = user(), identityPolicies: EvalRequest['identityPolicies'] = [], named = ACCOUNT) => decide({
      principal, action: 'sts:AssumeRole', resource: `arn:aws:iam::${ACCOUNT}:role/target`, resourcePolicyKind: 'trust', identityPolicies,
      resourcePolicies: repoPolicy({ Effect: 'Allow', Principal: { AWS: named }, Action: 'sts:AssumeRole' }),
    });
    assert.equal(assume(), 'ImplicitDeny');
    assert.equal(assume(user(), everything), 'Allow');
    assert.equal(assume(user('bob', OTHER), everything, OTHER), 'Allow');
    assert.equal(assume(user('bob', OTHER), [], OTHER), 'ImplicitDeny');
    assert.equal(assume(user('bob', OTHER), everything, `arn:aws:iam::${OTHER}:user/bob`), 'Allow');
    assert.equal(assume(user(), [], user().arn), 'Allow', 'naming the user itself suffices in the same account');
  });
  test('CanonicalUser principals never match Wharf callers', () => {
    assert.equal(decide({ resourcePolicies: repoPolicy({ Effect: 'Allow', Principal: { CanonicalUser: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be' }, Action: '*' }) }), 'ImplicitDeny');
  });
  test('aws:PrincipalArn and aws:PrincipalAccount are filled from the principal when the caller left them out', () => {
    const p = withIdentity(allow({ Condition: { ArnEquals: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role/ci` }, StringEquals: { 'aws:PrincipalAccount': ACCOUNT } } }));
    assert.equal(decide({ principal: session(), identityPolicies: p }), 'Allow');
    assert.equal(decide({ principal: session(), identityPolicies: p, context: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role/other` } }), 'ImplicitDeny');
  });
});

describe('conditions', () => {
  const cond = (condition: PolicyStatement['Condition'], context: EvalRequest['context']) => decide({ identityPolicies: withIdentity(allow({ Condition: condition })), context });
  test('operators AND, keys AND, values OR; negated operators are NOR over their values', () => {
    assert.equal(cond({ StringEquals: { a: ['x', 'y'] } }, { a: 'y' }), 'Allow');
    assert.equal(cond({ StringEquals: { a: 'x', b: 'y' } }, { a: 'x', b: 'z' }), 'ImplicitDeny');
    assert.equal(cond({ StringEquals: { a: 'x' }, StringLike: { b: 'y*' } }, { a: 'x', b: 'yes' }), 'Allow');
    assert.equal(cond({ StringNotEquals: { a: ['x', 'y'] } }, { a: 'y' }), 'ImplicitDeny');
    assert.equal(cond({ StringNotEquals: { a: ['x', 'y'] } }, { a: 'z' }), 'Allow');
  });
  test('string families: case-sensitive, IgnoreCase, Like with * and ?', () => {
    assert.equal(cond({ StringEquals: { a: 'Blue' } }, { a: 'blue' }), 'ImplicitDeny');
    assert.equal(cond({ StringEqualsIgnoreCase: { a: 'Blue' } }, { a: 'bLUE' }), 'Allow');
    assert.equal(cond({ StringNotEqualsIgnoreCase: { a: 'Blue' } }, { a: 'bLUE' }), 'ImplicitDeny');
    assert.equal(cond({ StringLike: { a: 'b?u*' } }, { a: 'blue-team' }), 'Allow');
    assert.equal(cond({ StringLike: { a: 'B*' } }, { a: 'blue' }), 'ImplicitDeny');
    assert.equal(cond({ StringEquals: { a: 'b*' } }, { a: 'blue' }), 'ImplicitDeny', '* is literal in StringEquals');
    assert.equal(cond({ StringLike: { a: 'a.c' } }, { a: 'abc' }), 'ImplicitDeny', 'regex characters are literal');
  });
  test('multi-valued keys without a set qualifier: positive operators need one match, negated ones none', () => {
    assert.equal(cond({ StringEquals: { 'aws:TagKeys': 'team' } }, { 'aws:TagKeys': ['env', 'team'] }), 'Allow');
    assert.equal(cond({ StringNotEquals: { 'aws:TagKeys': 'team' } }, { 'aws:TagKeys': ['env', 'team'] }), 'ImplicitDeny');
  });
  test('set qualifiers with negated operators', () => {
    assert.equal(cond({ 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['secret'] } }, { 'aws:TagKeys': ['env', 'team'] }), 'Allow');
    assert.equal(cond({ 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['secret'] } }, { 'aws:TagKeys': ['env', 'secret'] }), 'ImplicitDeny');
    assert.equal(cond({ 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['env'] } }, { 'aws:TagKeys': ['env', 'team'] }), 'Allow');
    assert.equal(cond({ 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['env'] } }, {}), 'ImplicitDeny', 'ForAnyValue is false on a missing key, negated or not');
    assert.equal(cond({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env'] } }, {}), 'Allow', 'ForAllValues is true on a missing key');
    assert.equal(cond({ 'ForAnyValue:StringEqualsIfExists': { 'aws:TagKeys': ['env'] } }, {}), 'Allow');
  });
  test('missing keys: positive false, negated true, IfExists true, every family', () => {
    for (const [op, value] of [['StringEquals', 'x'], ['NumericLessThan', '5'], ['DateLessThan', '2030-01-01'], ['Bool', 'true'], ['BinaryEquals', 'eA=='], ['IpAddress', '10.0.0.0/8'], ['ArnLike', 'arn:aws:s3:::*']]) {
      assert.equal(cond({ [op]: { k: value } }, {}), 'ImplicitDeny', op);
      assert.equal(cond({ [`${op}IfExists`]: { k: value } }, {}), 'Allow', `${op}IfExists`);
    }
    for (const op of ['StringNotEquals', 'StringNotLike', 'NumericNotEquals', 'DateNotEquals', 'NotIpAddress', 'ArnNotEquals', 'ArnNotLike']) {
      assert.equal(cond({ [op]: { k: '1' } }, {}), 'Allow', op);
    }
  });
  test('IfExists on a present key behaves as the base operator', () => {
    assert.equal(cond({ StringEqualsIfExists: { a: 'x' } }, { a: 'y' }), 'ImplicitDeny');
    assert.equal(cond({ NumericGreaterThanIfExists: { a: '3' } }, { a: 4 }), 'Allow');
  });
  test('Null: true asks for absence, false for presence; an empty list is absent', () => {
    assert.equal(cond({ Null: { a: 'false' } }, { a: 'x' }), 'Allow');
    assert.equal(cond({ Null: { a: 'false' } }, {}), 'ImplicitDeny');
    assert.equal(cond({ Null: { a: true } }, { a: [] }), 'Allow');
  });
  test('numeric comparisons, policy values as strings or numbers', () => {
    assert.equal(cond({ NumericEquals: { n: '10' } }, { n: 10.0 }), 'Allow');
    assert.equal(cond({ NumericLessThan: { n: 10 } }, { n: '9.5' }), 'Allow');
    assert.equal(cond({ NumericGreaterThanEquals: { n: '-1' } }, { n: '-2' }), 'ImplicitDeny');
    assert.equal(cond({ NumericNotEquals: { n: ['1', '2'] } }, { n: '3' }), 'Allow');
    assert.equal(cond({ NumericEquals: { n: '10' } }, { n: 'ten' }), 'ImplicitDeny');
  });
  test('dates: ISO-8601 with zones or epoch seconds on either side', () => {
    assert.equal(cond({ DateLessThan: { 'aws:CurrentTime': '2024-01-01T00:00:00Z' } }, { 'aws:CurrentTime': '2023-12-31T23:59:59Z' }), 'Allow');
    assert.equal(cond({ DateEquals: { 'aws:CurrentTime': '2024-01-01T02:00:00+02:00' } }, { 'aws:CurrentTime': '2024-01-01T00:00:00Z' }), 'Allow');
    assert.equal(cond({ DateGreaterThanEquals: { 'aws:EpochTime': '2024-01-01T00:00:00Z' } }, { 'aws:EpochTime': 1704067200 }), 'Allow');
    assert.equal(cond({ DateGreaterThan: { 'aws:EpochTime': 1704067200 } }, { 'aws:EpochTime': 1704067200 }), 'ImplicitDeny');
  });
  test('IP addresses: IPv4 and IPv6 blocks, mapped addresses, NotIpAddress', () => {
    assert.equal(cond({ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, { 'aws:SourceIp': '::ffff:10.1.2.3' }), 'Allow');
    assert.equal(cond({ IpAddress: { 'aws:SourceIp': '2001:db8::/32' } }, { 'aws:SourceIp': '2001:0DB8:ffff::1' }), 'Allow');
    assert.equal(cond({ IpAddress: { 'aws:SourceIp': '2001:db8::/32' } }, { 'aws:SourceIp': '2001:db9::1' }), 'ImplicitDeny');
    assert.equal(cond({ NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '192.168.0.0/16'] } }, { 'aws:SourceIp': '192.168.4.4' }), 'ImplicitDeny');
    assert.equal(cond({ NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/8'] } }, { 'aws:SourceIp': '127.0.0.1' }), 'Allow');
    assert.equal(cond({ IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } }, { 'aws:SourceIp': '::1' }), 'ImplicitDeny', 'families do not mix');
  });
  test('ARN operators: per component, case-sensitive, Equals = Like', () => {
    const v = { 'aws:SourceArn': 'arn:aws:ecr:us-east-1:111111111111:repository/app' };
    assert.equal(cond({ ArnEquals: { 'aws:SourceArn': 'arn:aws:ecr:*:111111111111:repository/*' } }, v), 'Allow');
    assert.equal(cond({ ArnLike: { 'aws:SourceArn': 'arn:aws:ECR:*:111111111111:repository/*' } }, v), 'ImplicitDeny');
    assert.equal(cond({ ArnNotLike: { 'aws:SourceArn': 'arn:aws:ecr:*:222222222222:*' } }, v), 'Allow');
    assert.equal(cond({ ArnLike: { 'aws:SourceArn': 'arn:aws:ecr:*:111111111111:repository/*' } }, { 'aws:SourceArn': 'not-an-arn' }), 'ImplicitDeny');
    assert.equal(cond({ ArnLike: { 'aws:SourceArn': 'arn:aws:ecr:*:111111111111:repository/${aws:username}' } }, { ...v, 'aws:username': 'app' }), 'Allow');
  });
  test('Bool values compare case-insensitively; JSON booleans and strings are the same', () => {
    assert.equal(cond({ Bool: { 'aws:SecureTransport': true } }, { 'aws:SecureTransport': 'TRUE' }), 'Allow');
    assert.equal(cond({ Bool: { 'aws:SecureTransport': 'true' } }, { 'aws:SecureTransport': false }), 'ImplicitDeny');
  });
  test('an operator IAM does not define makes the statement never match, also for Deny', () => {
    assert.equal(cond({ StringSortOf: { a: 'x' } }, { a: 'x' }), 'ImplicitDeny');
    assert.equal(decide({ identityPolicies: withIdentity(allow(), deny({ Condition: { 'ForSomeValues:StringEquals': { a: 'x' } } })), context: { a: 'x' } }), 'Allow');
  });
  test('operator names and set qualifiers are read case-insensitively', () => {
    assert.equal(cond({ 'forallvalues:stringequals': { a: 'x' } }, { a: 'x' }), 'Allow');
  });
});

describe('policy variables', () => {
  const onResource = (pattern: string, context: EvalRequest['context'], resource = repoArn('alice')) => decide({ resource, context, identityPolicies: withIdentity(allow({ Resource: pattern })) });
  test('a substituted value matches literally: a * in a tag value is no wildcard', () => {
    assert.equal(onResource(`arn:aws:ecr:*:${ACCOUNT}:repository/\${aws:PrincipalTag/repo}`, { 'aws:PrincipalTag/repo': '*' }), 'ImplicitDeny');
    assert.equal(onResource(`arn:aws:ecr:*:${ACCOUNT}:repository/\${aws:PrincipalTag/repo}/*`, { 'aws:PrincipalTag/repo': 'team' }, repoArn('team/x')), 'Allow');
  });
  test('variables before the fifth colon are literal text', () => {
    assert.equal(onResource('arn:aws:ecr:${aws:RequestedRegion}:111111111111:repository/alice', { 'aws:RequestedRegion': 'us-east-1' }), 'ImplicitDeny');
  });
  test('a multi-valued key cannot be substituted; a default can stand in', () => {
    assert.equal(onResource('arn:aws:ecr:*:*:repository/${aws:TagKeys}', { 'aws:TagKeys': ['alice', 'bob'] }), 'ImplicitDeny');
    assert.equal(onResource("arn:aws:ecr:*:*:repository/${aws:TagKeys, 'alice'}", { 'aws:TagKeys': ['alice', 'bob'] }), 'Allow');
  });
  test('an unresolvable variable makes even a Deny statement not apply', () => {
    const p = withIdentity(allow(), deny({ Resource: 'arn:aws:ecr:*:*:repository/${aws:username}' }));
    assert.equal(decide({ principal: session(), resource: repoArn('alice'), identityPolicies: p }), 'Allow');
    assert.equal(decide({ resource: repoArn('alice'), identityPolicies: p, context: { 'aws:username': 'alice' } }), 'ExplicitDeny');
  });
  test('variables are not read in Numeric, Date, Bool, IP or Null values', () => {
    assert.equal(decide({ identityPolicies: withIdentity(allow({ Condition: { NumericEquals: { n: '${x}' } } })), context: { n: '1', x: '1' } }), 'ImplicitDeny');
  });
  test('malformed ${…} stays text', () => {
    assert.equal(onResource('arn:aws:ecr:*:*:repository/${a b}', {}, repoArn('${a b}')), 'Allow');
    assert.equal(onResource('arn:aws:ecr:*:*:repository/${open', {}, repoArn('${open')), 'Allow');
  });
});

describe('results', () => {
  test('matched lists every applicable Deny, with policy id, Sid and position in the policy', () => {
    const r = evaluate(request({
      identityPolicies: [policy('inline/a', allow(), deny({ Sid: 'NoPull', Action: 'ecr:BatchGetImage' }))],
      resourcePolicies: [policy('repo', { Sid: 'NoOne', Effect: 'Deny', Principal: '*', Action: '*' })],
    }));
    assert.equal(r.decision, 'ExplicitDeny');
    assert.equal(r.reason, 'explicit-identity');
    assert.deepEqual(r.matched, [{ policyId: 'inline/a', sid: 'NoPull', effect: 'Deny', index: 1 }, { policyId: 'repo', sid: 'NoOne', effect: 'Deny', index: 0 }]);
  });
  test('matched lists the Allow statements an Allow rested on; nothing for ImplicitDeny', () => {
    const r = evaluate(request({ identityPolicies: [policy('p', allow({ Sid: 'Pull', Action: 'ecr:BatchGetImage' }), allow({ Action: 's3:*' }))] }));
    assert.deepEqual(r.matched, [{ policyId: 'p', sid: 'Pull', effect: 'Allow', index: 0 }]);
    assert.deepEqual(evaluate(request({ identityPolicies: [policy('p', allow({ Action: 's3:*' }))] })).matched, []);
  });
  test('policiesDecision: what one set of policies alone says (a resource policy only where its Principal names the caller)', () => {
    const req = request();
    assert.equal(policiesDecision(req, [policy('p', allow({ Action: 'ecr:BatchGetImage' }))], false), 'Allow');
    assert.equal(policiesDecision(req, [policy('p', allow(), deny({ Action: 'ecr:Batch*' }))], false), 'ExplicitDeny');
    assert.equal(policiesDecision(req, [policy('p', allow({ Action: 's3:*' }))], false), 'ImplicitDeny');
    const byAccount = policy('repo', { Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'ecr:*' });
    const other = policy('repo', { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/bob` }, Action: 'ecr:*' });
    assert.equal(policiesDecision(req, [byAccount], true), 'Allow', 'naming the account counts as allowing');
    assert.equal(policiesDecision(req, [other], true), 'ImplicitDeny', 'a statement naming someone else does not apply');
    assert.equal(evaluate(request({ resourcePolicies: [byAccount] })).decision, 'ImplicitDeny', 'while the request itself still needs an identity Allow');
  });
  test('missingContextKeys names the keys applicable statements read and the request lacked, each once, as the policy spells them', () => {
    const r = evaluate(request({
      context: { 'aws:SourceIp': '10.0.0.1' },
      identityPolicies: [policy('p',
        allow({ Condition: { StringEquals: { 'aws:PrincipalTag/Team': 'a' }, IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }),
        allow({ Resource: 'arn:aws:ecr:*:*:repository/${aws:username}', Condition: { StringEquals: { 'AWS:principaltag/team': 'b' } } }),
        allow({ Action: 's3:*', Condition: { StringEquals: { 's3:prefix': 'x' } } }))],
    }));
    assert.deepEqual(r.missingContextKeys.sort(), ['aws:PrincipalTag/Team', 'aws:username']);
  });
  test('denial messages use AWS\'s wording for every reason', () => {
    const arn = user().arn;
    const msg = (extra: Partial<EvalRequest>) => denialMessage(arn, 'ecr:BatchGetImage', repoArn(), evaluate(request(extra)));
    const head = `User: ${arn} is not authorized to perform: ecr:BatchGetImage on resource: ${repoArn()} `;
    assert.equal(msg({}), head + 'because no identity-based policy allows the ecr:BatchGetImage action');
    assert.equal(msg({ resourceAccount: OTHER, identityPolicies: withIdentity(allow()) }), head + 'because no resource-based policy allows the ecr:BatchGetImage action');
    assert.equal(msg({ identityPolicies: withIdentity(allow()), permissionsBoundary: policy('b', allow({ Action: 's3:*' })) }), head + 'because no permissions boundary allows the ecr:BatchGetImage action');
    assert.equal(msg({ principal: session(), identityPolicies: withIdentity(allow()), sessionPolicies: [policy('s', allow({ Action: 's3:*' }))] }), head + 'because no session policy allows the ecr:BatchGetImage action');
    assert.equal(msg({ identityPolicies: withIdentity(deny()) }), head + 'with an explicit deny in an identity-based policy');
    assert.equal(msg({ resourcePolicies: repoPolicy({ Effect: 'Deny', Principal: '*', Action: '*' }) }), head + 'with an explicit deny in a resource-based policy');
    assert.equal(msg({ permissionsBoundary: policy('b', deny()) }), head + 'with an explicit deny in a permissions boundary');
    assert.equal(msg({ principal: session(), sessionPolicies: [policy('s', deny())] }), head + 'with an explicit deny in a session policy');
    assert.throws(() => denialMessage(arn, 'ecr:BatchGetImage', repoArn(), evaluate(request({ identityPolicies: withIdentity(allow()) }))));
  });
  test('a document is compiled once and its compiled form reused', () => {
    const d = doc(allow());
    assert.equal(compilePolicy(d), compilePolicy(d));
    assert.notEqual(compilePolicy(d), compilePolicy(doc(allow())));
  });
});

describe('condition value parsers', () => {
  test('numbers: decimal text only', () => {
    assert.equal(parseNumber('1.5e2'), 150);
    for (const bad of ['', ' 1', '0x10', 'Infinity', '1,000']) assert.equal(parseNumber(bad), undefined, bad);
  });
  test('dates: W3C profiles, zones, epoch seconds; impossible dates refused', () => {
    assert.equal(parseDate('2020-03'), Date.UTC(2020, 2, 1));
    assert.equal(parseDate('2020-02-29T12:30Z'), Date.UTC(2020, 1, 29, 12, 30));
    assert.equal(parseDate('2020-01-01T00:00:00.250-01:30'), Date.UTC(2020, 0, 1, 1, 30, 0, 250));
    assert.equal(parseDate('1700000000'), 1700000000000);
    for (const bad of ['2020-02-30', '2020-13-01', 'yesterday', '2020-01-01 10:00']) assert.equal(parseDate(bad), undefined, bad);
  });
  test('IP parsing: compressed IPv6, embedded IPv4, bad input', () => {
    assert.deepEqual(parseIp('::1'), { v6: true, value: 1n });
    assert.deepEqual(parseIp('::ffff:1.2.3.4'), { v6: false, value: 0x01020304n });
    assert.deepEqual(parseIp('64:ff9b::1.2.3.4'), { v6: true, value: (0x64n << 112n) | (0xff9bn << 96n) | 0x01020304n });
    for (const bad of ['1.2.3', '256.1.1.1', '1::2::3', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', 'abcde::1']) assert.equal(parseIp(bad), undefined, bad);
    const mapped = parseCidr('::ffff:10.0.0.0/104')!;
    assert.ok(cidrContains(mapped, parseIp('10.200.0.1')!));
    assert.ok(!cidrContains(mapped, parseIp('11.0.0.1')!));
    assert.equal(parseCidr('10.0.0.0/33'), undefined);
  });
});
